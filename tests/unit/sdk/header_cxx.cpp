// Compiles the public headers as C++ (extern "C" guards, no C-only constructs at file scope).
#include <ec2gw/plugin.h>
#include <ec2gw/testing.h>

extern "C" int header_cxx(void);

int
header_cxx(void)
{
    const ec2gw_os_resp_t *r = nullptr;
    return ec2gw_os_ok(r) + EC2GW_ABI_MAJOR;
}
