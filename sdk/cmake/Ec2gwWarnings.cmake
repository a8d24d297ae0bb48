# ec2gw_apply_warnings(target): the project's warning set (c-style.md §6.7).
function(ec2gw_apply_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wmissing-declarations -Wold-style-definition -Wformat=2 -Wcast-qual -Wwrite-strings
    -Wpointer-arith -Wundef -Wvla -Werror=implicit-function-declaration)
  if(EC2GW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
