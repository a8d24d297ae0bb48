/* Compiles <ec2gw/plugin.h> alone, in C11 with -Wpedantic (c-style.md §5.3). */
#include <ec2gw/plugin.h>

int header_plugin_only(void);

int
header_plugin_only(void)
{
    return EC2GW_ABI_MAJOR;
}
