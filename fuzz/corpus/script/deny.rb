Hijack.on(:open, :openat, path: "*my_file") { |call| call.fail(:EACCES) }
