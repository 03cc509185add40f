# fail every open of a secret with EACCES; all other calls run as usual
Hijack.on(:open, :openat, path: "/etc/secret*") { |call| call.fail(:EACCES) }

# 10% of writes to fds above 2 fail with EIO, reproducibly under --seed
Hijack.on(:write) { |call| call.fail(:EIO) if call.fd > 2 && Hijack.rand < 0.1 }

# slow network: every connect waits 200 ms
Hijack.on(:connect) { |call| call.delay(0.2) }

# see what was read, and count bytes
$bytes = 0
Hijack.after(:read) { |call| $bytes += call.result if call.result > 0 }
Hijack.at_exit { Hijack.log "read #{$bytes} bytes" }
