/* A futex lock for the VM: an uncontended lock and unlock is two atomic
 * instructions (pthread_mutex measured about +60 ns a dispatch here).
 * States: 0 free, 1 held, 2 held with waiters (Drepper, "Futexes Are
 * Tricky", mutex3). */
#ifndef HIJACK_LOCK_H
#define HIJACK_LOCK_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct { atomic_int state; } hj_lock_t;

static inline void hj_futex(atomic_int *addr, int op, int val)
{
	syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

static inline void hj_lock(hj_lock_t *l)
{
	int c = 0;
	if (atomic_compare_exchange_strong(&l->state, &c, 1))
		return;
	if (c != 2)
		c = atomic_exchange(&l->state, 2);
	while (c != 0) {
		hj_futex(&l->state, FUTEX_WAIT, 2);
		c = atomic_exchange(&l->state, 2);
	}
}

static inline void hj_unlock(hj_lock_t *l)
{
	if (atomic_fetch_sub(&l->state, 1) != 1) {
		atomic_store(&l->state, 0);
		hj_futex(&l->state, FUTEX_WAKE, 1);
	}
}

#endif
