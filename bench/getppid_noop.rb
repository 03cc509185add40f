# bench/run section 2: a no-op Ruby handler on getppid.
Hijack.on(:getppid) { |c| }
