# samples/make/hello-s390x.s: source of samples/hello-s390x.elf (64-bit big-endian s390x; made here, CC0)
        .section .rodata
msg:    .ascii "hello, unstruct\n"
        .data
counter: .quad 1
        .text
        .globl _start
_start: lghi  %r2, 1            # write(1, msg, 16)
        larl  %r3, msg
        lghi  %r4, 16
        svc   4
        lghi  %r2, 0            # exit(0)
        svc   1
