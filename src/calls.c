/* The metadata half of calls.def: names, groups, prototypes, kinds. */
#include <string.h>

#include "calls.h"

#define A(type, name, kind) (type, name, kind)
#define INFO(i, arg) INFO_ arg
#define INFO_(type, name, kind) { #type, #name, kind }
#define CALL(name, groups, rtype, rkind, ...) \
	[HJ_##name] = { #name, groups, #rtype, rkind, HJ_NARGS(__VA_ARGS__), { HJ_MAP(INFO, ##__VA_ARGS__) } },
#define HAND CALL
#define VARIANT(sym, name)
const struct hj_call_info hj_calls[HJ_NCALLS] = {
#include "calls.def"
};
#undef CALL
#undef HAND
#undef VARIANT

/* ABI twins and their plain names; those with another signature
 * (src/preload/variants.c) are listed beside the table's VARIANT rows. */
static const struct { const char *sym; int id; } twins[] = {
#define CALL(...)
#define HAND(...)
#define VARIANT(sym, name) { #sym, HJ_##name },
#include "calls.def"
#undef CALL
#undef HAND
#undef VARIANT
#define TWIN(sym, name) { #sym, HJ_##name },
#include "twins.def"
#undef TWIN
};

int hj_call_lookup(const char *name)
{
	for (int i = 0; i < HJ_NCALLS; i++)
		if (!strcmp(hj_calls[i].name, name))
			return i;
	for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++)
		if (!strcmp(twins[i].sym, name))
			return twins[i].id;
	return -1;
}

static const struct { const char *name; unsigned mask; } groups[] = {
	{ "file", G_FILE }, { "desc", G_DESC }, { "net", G_NET },
	{ "network", G_NET }, { "memory", G_MEMORY }, { "clock", G_CLOCK },
	{ "process", G_PROCESS },
};

unsigned hj_group_lookup(const char *name)
{
	if (*name == '%')
		name++;
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (!strcmp(groups[i].name, name))
			return groups[i].mask;
	return 0;
}

/* The first group of a call, as `hijack calls` prints it. */
const char *hj_group_name(unsigned mask)
{
	static const char *order[] = { "process", "clock", "memory", "net", "file", "desc" };
	static const unsigned bits[] = { G_PROCESS, G_CLOCK, G_MEMORY, G_NET, G_FILE, G_DESC };
	for (int i = 0; i < 6; i++)
		if (mask & bits[i])
			return order[i];
	return "?";
}
