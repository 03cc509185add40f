/* round() for the preloaded part (clockfast.c's), which otherwise pulls
 * in all of libm: a fourth library mapped and relocated in every
 * process. Local to the library (not in libhijack.map); libhijack-ruby.so
 * links the real libm. Half-way cases go away from zero, as C's does. */
#include <math.h>

double round(double x)
{
	if (!(__builtin_fabs(x) < 0x1p52))	/* already whole, inf or NaN */
		return x;
	double t = (double)(long long)x;	/* toward zero, exact here */
	if (__builtin_fabs(x - t) >= 0.5)
		t += x > 0 ? 1.0 : -1.0;
	return __builtin_copysign(t, x);
}
