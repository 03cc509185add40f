/* Rewriting of trapped syscall sites into calls to stubs: to come. */
#include "syscall/sud.h"

bool hj_sud_rewrite;

void hj_rewrite_site(uintptr_t after, long nr)
{
	(void)after;
	(void)nr;
}
