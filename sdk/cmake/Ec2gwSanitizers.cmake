# With EC2GW_SANITIZE=ON every target is built with ASan and UBSan; the tests use this build.
if(EC2GW_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
