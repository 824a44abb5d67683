// A spin-wait hint for the worker team's short waits: `pause` on x86 (the core keeps the
// thread; its sibling and the memory system are spared), `yield` on ARM, nothing elsewhere.
#ifndef HERO_CPU_RELAX_H
#define HERO_CPU_RELAX_H

static inline void hero_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

#endif
