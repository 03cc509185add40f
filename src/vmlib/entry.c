/* The Ruby library's one exported name: the table the preloaded part
 * calls it through (vmlib.h). */
#include "vmlib/vmlib.h"

bool hj_vm_sealed_check(const char *spec);
bool hj_vm_has_at_exit(void);

__attribute__((visibility("default"))) const struct hj_ruby_entry hj_ruby_entry = {
	.version = HJ_RUBY_ENTRY_VERSION,
	.vm_start = hj_vm_start,
	.vm_active = hj_vm_active,
	.vm_has_at_exit = hj_vm_has_at_exit,
	.vm_sealed_check = hj_vm_sealed_check,
	.scripts_before_exec = hj_scripts_before_exec,
	.vm_run = hj_vm_run,
	.vm_at_exit = hj_vm_at_exit,
	.vm_before_fork = hj_vm_before_fork,
	.vm_after_fork_parent = hj_vm_after_fork_parent,
	.vm_after_fork = hj_vm_after_fork,
	.vm_would_run = hj_vm_would_run,
	.vm_ctl_load = hj_vm_ctl_load,
	.vm_ctl_eval = hj_vm_ctl_eval,
};
