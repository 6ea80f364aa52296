/* Stand-in for Windows' bcryptprimitives.dll, for running the collector under Wine 8.
 *
 * Rust's standard library (1.78+) imports ProcessPrng from bcryptprimitives.dll to seed its
 * hash maps. Windows 10+ ships that DLL; Wine 8 does not, so the exe fails to load with
 * c0000135. The end-to-end test builds this file with x86_64-w64-mingw32-gcc and drops the DLL
 * into the test prefix's system32. It is never shipped: on Windows the real DLL is used.
 *
 * ProcessPrng fills the buffer from RtlGenRandom (advapi32!SystemFunction036), which Wine
 * implements on top of the host's random source. Like the real one it always returns TRUE. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
