/* Whether execve(path) can replace the image, as far as files tell. */
#ifndef HIJACK_EXECCHECK_H
#define HIJACK_EXECCHECK_H
#include <stdbool.h>
bool hj_exec_runnable(const char *path);
#endif
