/* The gate: the only code from which the program's thread may make a
 * system call without Syscall User Dispatch sending it back to us as a
 * SIGSYS. It is the range given to prctl(PR_SET_SYSCALL_USER_DISPATCH),
 * so it holds nothing but system call instructions and the few
 * instructions around them: the engine's own real calls, the return from
 * our signal handler, and the calls that must run on the program's own
 * registers and stack (rt_sigreturn, clone of a thread, vfork).
 *
 * Page-aligned and alone in its pages, so that the range holds no other
 * code of ours or of the program. */
	.section .text.hj_gate, "ax", @progbits
	.balign 4096
	.globl hj_gate_start
	.hidden hj_gate_start
hj_gate_start:

/* long hj_gate_syscall(long nr, long a0, long a1, long a2, long a3,
 *                      long a4, long a5): the raw call, the kernel's
 * result (-errno on failure) in rax. */
	.globl hj_gate_syscall
	.hidden hj_gate_syscall
	.type hj_gate_syscall, @function
hj_gate_syscall:
	.cfi_startproc
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	movq %r8, %r10
	movq %r9, %r8
	movq 8(%rsp), %r9
/* `syscall; ret`: a rewritten site's stub calls it with the program's
 * registers (rewrite.c) */
	.globl hj_gate_syscall_ret
	.hidden hj_gate_syscall_ret
hj_gate_syscall_ret:
	syscall
	ret
	.cfi_endproc
	.size hj_gate_syscall, . - hj_gate_syscall

/* The restorer of our SIGSYS handler: rt_sigreturn from inside the gate,
 * so that it is never trapped. The handler also sends the program's own
 * rt_sigreturn here (its restorer's syscall was trapped): with the
 * program's stack pointer untouched it returns from the program's frame. */
	/* unwinders look up the frame description of (return address - 1):
	 * this byte keeps that out of hj_gate_syscall's, so that they fall
	 * back to reading the bytes below (glibc has the same nop) */
	nop
	.globl hj_gate_sigreturn
	.hidden hj_gate_sigreturn
	.type hj_gate_sigreturn, @function
hj_gate_sigreturn:
	/* these very bytes (48 c7 c0 0f 00 00 00 0f 05), as glibc's
	 * __restore_rt has them: unwinders (libgcc, for pthread_cancel and
	 * C++ exceptions) know a signal frame by them */
	movq $15, %rax		/* __NR_rt_sigreturn */
	syscall
	ud2
	.size hj_gate_sigreturn, . - hj_gate_sigreturn

/* clone, clone3 and vfork of a child that shares our memory: the child
 * starts at the instruction after the syscall with the registers it was
 * given and, for a thread, a new stack, so the call cannot be made from
 * inside the signal handler. The handler returns here instead, with the
 * program's registers, and the return address of the call site stored
 * where each side finds it:
 *   the parent: at (%rsp), below the 128-byte red zone it had (the
 *     handler moved rsp down by HJ_GATE_FRAME = 392: the return address,
 *     then room for a copy of clone3's arguments, then the red zone);
 *   a child on a new stack: at the top of that stack (the handler handed
 *     the kernel a stack 8 bytes lower);
 *   a child on the parent's stack (vfork): where the parent finds it.
 * rcx and r11 are free: the syscall instruction clobbers them anyway. */
	.globl hj_gate_clone_newstack
	.hidden hj_gate_clone_newstack
	.type hj_gate_clone_newstack, @function
hj_gate_clone_newstack:
	syscall
	testq %rax, %rax
	jnz 1f
	leaq hj_sud_thread_start(%rip), %r11	/* the return address stays on top */
	call hj_gate_into_c
	popq %rcx
	jmp *%rcx
	.size hj_gate_clone_newstack, . - hj_gate_clone_newstack

	.globl hj_gate_clone_samestack
	.hidden hj_gate_clone_samestack
	.type hj_gate_clone_samestack, @function
hj_gate_clone_samestack:
	syscall
	testq %rax, %rax
	jz 2f
1:	/* the parent (or the call failed) */
	leaq hj_sud_clone_returned(%rip), %r11
	call hj_gate_into_c
	movq (%rsp), %rcx
	leaq 392(%rsp), %rsp
	jmp *%rcx
2:	/* a vfork-style child, on the parent's stack below its frame */
	leaq hj_sud_thread_start(%rip), %r11
	call hj_gate_into_c
	movq (%rsp), %rcx
	leaq 392(%rsp), %rsp
	jmp *%rcx
	.size hj_gate_clone_samestack, . - hj_gate_clone_samestack

/* Calls the C function at r11 with rax (the call's result) as its
 * argument, from the paths above: every register the program may hold
 * live is saved (the callee-saved ones the C function keeps; r11 is free,
 * the syscall clobbered it) and the stack aligned. */
	.type hj_gate_into_c, @function
hj_gate_into_c:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rax
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %r8
	pushq %r9
	pushq %r10
	andq $-16, %rsp
	movq %rax, %rdi
	call *%r11
	leaq -56(%rbp), %rsp
	popq %r10
	popq %r9
	popq %r8
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rax
	popq %rbp
	ret
	.size hj_gate_into_c, . - hj_gate_into_c

	.balign 4096
	.globl hj_gate_end
	.hidden hj_gate_end
hj_gate_end:

	.section .note.GNU-stack, "", @progbits

/* long hj_call_on_stack(long (*fn)(void *), void *arg, void *top): fn(arg)
 * on another stack (sud.c: the layer's own, per thread). Outside the gate:
 * it makes no system call. */
	.text
	.globl hj_call_on_stack
	.hidden hj_call_on_stack
	.type hj_call_on_stack, @function
hj_call_on_stack:
	.cfi_startproc
	pushq %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq %rsp, %rbp
	.cfi_def_cfa_register %rbp
	movq %rdx, %rsp
	movq %rdi, %rax
	movq %rsi, %rdi
	call *%rax
	movq %rbp, %rsp
	popq %rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size hj_call_on_stack, . - hj_call_on_stack
