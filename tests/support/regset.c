/* regset.exe KEY NAME TYPE HEX: writes one registry value with exactly the given bytes.
 *
 * Seeding helper for the Wine end-to-end test. `reg add` and `reg import` normalise data (a
 * REG_SZ always gets its terminating NUL, a REG_DWORD is always 4 bytes), so they cannot create
 * the malformed values that real machines do carry and that the collector must keep bit for bit.
 * KEY is a path under HKEY_LOCAL_MACHINE, TYPE a decimal REG_* number, HEX the data as hex
 * digits (may be empty). Exit code 0 on success, else the Win32 error. */
#include <windows.h>
#include <stdlib.h>
#include <wchar.h>

static int hex_digit(wchar_t c)
{
    if (c >= L'0' && c <= L'9') return c - L'0';
    if (c >= L'a' && c <= L'f') return c - L'a' + 10;
    if (c >= L'A' && c <= L'F') return c - L'A' + 10;
    return -1;
}

int wmain(int argc, wchar_t **argv)
{
    HKEY key;
    LONG rc;
    size_t len, i;
    BYTE *data;
    DWORD type;

    if (argc != 5)
        return 87; /* ERROR_INVALID_PARAMETER */
    len = wcslen(argv[4]);
    if (len % 2)
        return 87;
    data = malloc(len / 2 + 1);
    if (!data)
        return 8; /* ERROR_NOT_ENOUGH_MEMORY */
    for (i = 0; i < len / 2; i++) {
        int hi = hex_digit(argv[4][2 * i]), lo = hex_digit(argv[4][2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 87;
        data[i] = (BYTE)(hi * 16 + lo);
    }
    type = (DWORD)wcstoul(argv[3], NULL, 10);
    rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, argv[1], 0, NULL, 0,
                         KEY_SET_VALUE | KEY_WOW64_64KEY, NULL, &key, NULL);
    if (rc != ERROR_SUCCESS)
        return (int)rc;
    rc = RegSetValueExW(key, argv[2], 0, type, data, (DWORD)(len / 2));
    RegCloseKey(key);
    free(data);
    return (int)rc;
}
