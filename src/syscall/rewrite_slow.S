/* The slow path of a rewritten site's stub (rewrite.c): the call made
 * as a trapped one is, by hj_sys_enter, without a signal frame.
 *
 * Entered by a jump from the stub with eax = the call's number, r11 =
 * the address to go back to (right after the site's syscall), rsp and
 * every other register the program's. It keeps all that a syscall
 * instruction keeps: every register but rax, rcx and r11, the flags, and
 * the vector and x87 state (compiled code may keep a value in xmm across
 * an inline syscall; C code called here may change it). The red zone
 * below the program's rsp is left alone. */
	.text
	.globl hj_rewrite_slow
	.hidden hj_rewrite_slow
	.type hj_rewrite_slow, @function
hj_rewrite_slow:
	/* unwind info: as if the site had called us (backtraces from hooks,
	 * thread cancellation): the return address is in r11, then on the
	 * stack, and the site's rsp is the frame's CFA */
	.cfi_startproc
	.cfi_def_cfa %rsp, 0
	.cfi_register 16, 11
	leaq -128(%rsp), %rsp
	.cfi_adjust_cfa_offset 128
	pushfq
	.cfi_adjust_cfa_offset 8
	pushq %r11		/* where to go back */
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset 16, 0
	pushq %r9		/* the six arguments, in order upwards */
	.cfi_adjust_cfa_offset 8
	pushq %r8
	.cfi_adjust_cfa_offset 8
	pushq %r10
	.cfi_adjust_cfa_offset 8
	pushq %rdx
	.cfi_adjust_cfa_offset 8
	pushq %rsi
	.cfi_adjust_cfa_offset 8
	pushq %rdi
	.cfi_adjust_cfa_offset 8
	pushq %rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	movq %rsp, %rbp		/* 8(%rbp): the arguments */
	.cfi_def_cfa_register %rbp
	pushq %rbx
	.cfi_offset %rbx, -208
	movl %eax, %ebx		/* the number */
	subq hj_rewrite_xsave_size(%rip), %rsp
	andq $-64, %rsp
	cld			/* what C expects */
	xorl %eax, %eax		/* the XSAVE header must start zeroed */
	movq %rax, 512(%rsp)
	movq %rax, 520(%rsp)
	movq %rax, 528(%rsp)
	movq %rax, 536(%rsp)
	movq %rax, 544(%rsp)
	movq %rax, 552(%rsp)
	movq %rax, 560(%rsp)
	movq %rax, 568(%rsp)
	movl hj_rewrite_xmask(%rip), %eax
	movl hj_rewrite_xmask+4(%rip), %edx
	movzbl hj_rewrite_xkind(%rip), %ecx
	cmpl $2, %ecx
	je 2f
	cmpl $1, %ecx
	je 1f
	fxsave64 (%rsp)
	jmp 3f
1:	xsave64 (%rsp)
	jmp 3f
2:	xsavec64 (%rsp)
3:	movl %ebx, %edi
	leaq 8(%rbp), %rsi
	call hj_sys_enter
	movq %rax, %rbx		/* the result, kept while the state comes back */
	movl hj_rewrite_xmask(%rip), %eax
	movl hj_rewrite_xmask+4(%rip), %edx
	cmpb $0, hj_rewrite_xkind(%rip)
	je 4f
	xrstor64 (%rsp)
	jmp 5f
4:	fxrstor64 (%rsp)
5:	movq %rbx, %rax
	leaq -8(%rbp), %rsp
	popq %rbx
	.cfi_restore %rbx
	popq %rbp
	.cfi_restore %rbp
	.cfi_def_cfa %rsp, 192
	popq %rdi
	popq %rsi
	popq %rdx
	popq %r10
	popq %r8
	popq %r9
	popq %r11
	.cfi_def_cfa_offset 136
	.cfi_register 16, 11
	popfq
	.cfi_def_cfa_offset 128
	leaq 128(%rsp), %rsp
	.cfi_def_cfa_offset 0
	jmp *%r11
	.cfi_endproc
	.size hj_rewrite_slow, . - hj_rewrite_slow

	.section .note.GNU-stack, "", @progbits
