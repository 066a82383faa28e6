/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /init for the Linux guest test: no libc, raw arm64 syscalls.  Mounts
 * sysfs, checks what the kernel made of the platform, reports through
 * /dev/kmsg (the kernel log reaches our console_io boot console even
 * without a Xen PV console, which needs xenstore), then powers off, which
 * Linux turns into PSCI SYSTEM_OFF.
 *   TEST linux-boot: /init runs as pid 1
 *   TEST linux-xen:  /sys/hypervisor/type says "xen" (Xen guest support
 *                    initialised: shared_info, vcpu_info, events, grants)
 *   TEST linux-smp:  /sys/devices/system/cpu/online is "0-1" (vCPU 1 came
 *                    up through PSCI CPU_ON)
 */
#include <stddef.h>

#define SYS_openat 56
#define SYS_close 57
#define SYS_read 63
#define SYS_write 64
#define SYS_mount 40
#define SYS_reboot 142
#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_WRONLY 1

void _start(void) __attribute__((noreturn));

static long sys5(long n, long a, long b, long c, long d, long e)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x8) : "memory");
    return x0;
}

static long kmsg = -1;

/* Reads a small file into buf (NUL-terminated, trailing newline dropped). */
static long slurp(const char *path, char *buf, size_t size)
{
    long fd = sys5(SYS_openat, AT_FDCWD, (long)path, O_RDONLY, 0, 0);
    if (fd < 0)
        return fd;
    long n = sys5(SYS_read, fd, (long)buf, (long)size - 1, 0, 0);
    sys5(SYS_close, fd, 0, 0, 0, 0);
    if (n < 0)
        return n;
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
    return n;
}

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* One write per line: each /dev/kmsg write is one record (and rate-limited). */
static void result(const char *name, int ok, const char *detail)
{
    char line[160];
    size_t n = 0;
    const char *parts[] = { "TEST ", name, ok ? ": PASS (" : ": FAIL (", detail, ")\n" };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        for (const char *p = parts[i]; *p && n < sizeof(line) - 1; p++)
            line[n++] = *p;
    if (kmsg >= 0)
        sys5(SYS_write, kmsg, (long)line, (long)n, 0, 0);
}

void _start(void)
{
    char buf[64];
    kmsg = sys5(SYS_openat, AT_FDCWD, (long)"/dev/kmsg", O_WRONLY, 0, 0);
    result("linux-boot", kmsg >= 0, "init ran as pid 1 in a Linux guest");
    long m = sys5(SYS_mount, (long)"sysfs", (long)"/sys", (long)"sysfs", 0, 0);
    long n = m ? m : slurp("/sys/hypervisor/type", buf, sizeof(buf));
    result("linux-xen", n > 0 && streq(buf, "xen"), n > 0 ? buf : "no /sys/hypervisor/type");
    n = m ? m : slurp("/sys/devices/system/cpu/online", buf, sizeof(buf));
    result("linux-smp", n > 0 && streq(buf, "0-1"), n > 0 ? buf : "no cpu/online");
    sys5(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc, 0, 0);   /* LINUX_REBOOT_CMD_POWER_OFF */
    for (;;)
        ;
}
