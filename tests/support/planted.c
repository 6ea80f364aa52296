/* A decoy netstat.exe planted in the collector's working folder by the end-to-end test.
 *
 * The collector must run console tools from %SystemRoot%\System32 by full path, never through a
 * PATH or current-folder lookup (a classic binary-planting hole on Windows). If this decoy ever
 * runs, it prints a marker that the test looks for in the collected netstat output. It creates no
 * file: the test also checks that nothing but the zip is left in the working folder. */
#include <stdio.h>

int main(void)
{
    puts("PLANTED-NETSTAT-RAN");
    return 0;
}
