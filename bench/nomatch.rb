# bench/run row d: hooks whose path: filter never matches (decided in C).
Hijack.on(:open, :openat, :read, :write, :close, :unlink, path: "/nonexistent/*") { |c| c.fail(:EIO) }
