/* samples/make/hello.c: source of samples/hello-x86_64.elf (made here, CC0).
   No libc: _start writes a line and exits, so the binary stays tiny. */
static const char msg[] = "hello, unstruct\n";
char counter = 1;                 /* a .data byte */
void _start(void) {
    long ret;
    __asm__ volatile ("syscall" : "=a"(ret)
                      : "a"(1), "D"(1), "S"(msg), "d"(sizeof msg - 1)
                      : "rcx", "r11", "memory");
    __asm__ volatile ("syscall" :: "a"(60), "D"(counter - 1));
    for (;;) {}
}
