# samples/make/hello-ppc.s: source of samples/hello-ppc.elf (32-bit big-endian PowerPC; made here, CC0)
        .section .rodata
msg:    .ascii "hello, unstruct\n"
        .data
counter: .long 1
        .text
        .globl _start
_start: li    0, 4              # write(1, msg, 16)
        li    3, 1
        lis   4, msg@ha
        addi  4, 4, msg@l
        li    5, 16
        sc
        li    0, 1              # exit(0)
        li    3, 0
        sc
