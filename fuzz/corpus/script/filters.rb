Hijack.on(:write, fd: 1..2, path: ["/a*", "/b"]) { |c| c.fail(:EIO) }
Hijack.on("%file", "%desc", fd: [3, 5...9, (10..)]) { |c| c.return(0) }
Hijack.after(:read) { |c| c.buf = c.buf.to_s.upcase; c.errno = nil }
