/* Compiles <ec2gw/testing.h> alone, in C11 with -Wpedantic. */
#include <ec2gw/testing.h>

int header_testing_only(void);

int
header_testing_only(void)
{
    return EC2GW_ABI_MINOR;
}
