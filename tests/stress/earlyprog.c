/* Linked with libearly.so: calls before libhijack's constructor (in
 * libearly's), in main, in an atexit handler registered first thing in
 * main, in the program's destructor, and after libhijack's destructor
 * (libearly's destructor and its atexit handler). */
#include <stdlib.h>

void early_check(const char *where);
void early_stop(void);

static void main_atexit(void) { early_check("main-atexit"); }
__attribute__((destructor)) static void main_dtor(void) { early_check("main-dtor"); }

int main(void)
{
	atexit(main_atexit);
	early_check("main");
	early_stop();
	return 0;
}
