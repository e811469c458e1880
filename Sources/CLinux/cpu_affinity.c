#define _GNU_SOURCE
#include <sched.h>
#include <string.h>
#include "CLinux.h"

_Static_assert(sizeof(cpu_set_t) == CL_CPU_SET_BYTES, "cpu_set_t is CL_CPU_SET_BYTES long");

int cl_hold_to_one_cpu(unsigned char saved[CL_CPU_SET_BYTES]) {
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof mask, &mask) != 0) return -1;
    memcpy(saved, &mask, sizeof mask);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &mask)) continue;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        return sched_setaffinity(0, sizeof one, &one);
    }
    return -1;
}

int cl_restore_cpus(const unsigned char saved[CL_CPU_SET_BYTES]) {
    cpu_set_t mask;
    memcpy(&mask, saved, sizeof mask);
    return sched_setaffinity(0, sizeof mask, &mask);
}
