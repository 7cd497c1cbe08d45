# samples/make/hello-i386.s: source of samples/hello-i386.elf (32-bit little-endian; made here, CC0)
        .section .rodata
msg:    .ascii "hello, unstruct\n"
        .data
counter: .long 1
        .text
        .globl _start
_start: movl $4, %eax           # write(1, msg, 16)
        movl $1, %ebx
        movl $msg, %ecx
        movl $16, %edx
        int  $0x80
        movl $1, %eax           # exit(0)
        xorl %ebx, %ebx
        int  $0x80
