# Hijack::Chaos: fault injection, ready-made. Each method adds hooks; call
# it as often as needed (each call keeps its own settings and counters).
# Every random choice goes through Hijack.rand, so a run is reproducible
# under --seed, and --replay drops the faults chance decided.
#
#   fail(*calls, errno:, probability: 1.0, when: nil, path: nil, fd: nil)
#       the calls fail with errno (before hooks); when: as --inject's
#   delay(*calls, seconds, jitter: 0, path: nil, fd: nil)
#       the calls wait first (before hooks)
#   throttle(*calls, bytes_per_second:, path: nil, fd: nil)
#       default calls: read pread readv recv recvfrom recvmsg (in), write
#       pwrite writev send sendto sendmsg sendfile copy_file_range (out);
#       after hooks wait until the line has carried the bytes moved
#   short_io(*calls, probability: 1.0, path: nil, fd: nil)
#       default calls: read write pread pwrite send recv sendto recvfrom
#       sendfile copy_file_range; their count cut to 1..count-1
#   corrupt(*calls, probability: 1.0, count: nil, path: nil, fd: nil)
#       default calls: read pread recv recvfrom (after: the bytes read),
#       write pwrite send sendto (before: the bytes written); one bit
#   partition(*peers, timeout: 0)
#       connect (ETIMEDOUT), sendto (dropped), recvfrom (never arrives)
#   oom(after_bytes:)
#       malloc calloc realloc posix_memalign aligned_alloc, anonymous mmap
#   disk_full(path:, after_bytes:)
#       write pwrite writev sendfile fallocate copy_file_range into path
#       (as every path: takes it: a file or directory and what is under
#       it, or a glob; or an Array of them)
#
# Counters (when:, count:, bytes taken or written) are per process: a
# forked child starts from zero, as strace counts calls per process.
module Hijack
  module Chaos
    INF = 1 << 62
    # the argument that says how many bytes a call moves
    COUNT_ARG = {
      read: :count, write: :count, pread: :count, pwrite: :count, sendfile: :count,
      recv: :len, send: :len, recvfrom: :len, sendto: :len, copy_file_range: :len,
    }
    TWINS = { pread64: :pread, pwrite64: :pwrite, sendfile64: :sendfile }
    READS = [:read, :pread, :readv, :recv, :recvfrom, :recvmsg]
    WRITES = [:write, :pwrite, :writev, :send, :sendto, :sendmsg, :sendfile, :copy_file_range]
    # calls whose count is only an upper bound: cp asks copy_file_range
    # for "everything there is"
    UPTO = [:sendfile, :copy_file_range]
    SHORT_CALLS = COUNT_ARG.keys
    UPTO_CHUNK = 1 << 20
    CORRUPT_READS = [:read, :pread, :recv, :recvfrom]
    CORRUPT_WRITES = [:write, :pwrite, :send, :sendto]
    MAP_ANONYMOUS = 0x20
    # throttle: the line may run this far (seconds) ahead, so that a
    # sleep that overslept is made up for by the next call
    BURST = 0.01

    @forked = []

    class << self
      # ---- fail ----

      # Like --inject CALLS:error=ERRNO: fails the calls with errno.
      # when: the Nth call only (Integer), a Range of them, or strace's
      # "N", "N+", "N+S", "N..M", "N..M+S"; counted per call name, among
      # the calls the filters let through.
      def fail(*calls, errno:, probability: 1.0, path: nil, fd: nil, **opts)
        spec = when_spec(opts.delete(:when))
        no_more(opts)
        names(calls, "fail")
        errno = check_errno(errno)
        p = probability(probability)
        if spec
          first, last, step = spec
          counts = Hash.new(0)
          forked { counts.clear }
          hook(:on, calls, path, fd) do |call|
            n = counts[call.name] += 1
            next if n < first || n > last
            next if step == 0 ? n != first : (n - first) % step != 0
            next if p < 1.0 && Hijack.rand >= p
            call.fail(errno)
          end
        elsif p < 1.0
          hook(:on, calls, path, fd) { |call| call.fail(errno) if Hijack.rand < p }
        else
          hook(:on, calls, path, fd) { |call| call.fail(errno) }
        end
        nil
      end

      # ---- delay ----

      # Each call waits seconds first, give or take jitter (uniform).
      def delay(*args, jitter: 0, path: nil, fd: nil)
        seconds = args.pop
        raise ArgumentError, "Chaos.delay(*calls, seconds): seconds must be a number >= 0, got #{seconds.inspect}" unless seconds.is_a?(Numeric) && seconds >= 0
        raise ArgumentError, "jitter: must be a number >= 0" unless jitter.is_a?(Numeric) && jitter >= 0
        names(args, "delay")
        s = seconds.to_f
        j = jitter.to_f
        if j > 0
          hook(:on, args, path, fd) do |call|
            d = s + (Hijack.rand * 2 - 1) * j
            call.delay(d) if d > 0
          end
        else
          hook(:on, args, path, fd) { |call| call.delay(s) }
        end
        nil
      end

      # ---- throttle ----

      # Reads and writes (files, pipes, sockets) move at most
      # bytes_per_second in each direction, averaged over the run: each
      # call returns once the line would have carried its bytes (one line
      # in, one out, per process). sendfile and copy_file_range move a
      # tenth of a second's worth at a time.
      def throttle(*calls, bytes_per_second:, path: nil, fd: nil)
        rate = bytes_per_second.to_f
        raise ArgumentError, "bytes_per_second: must be > 0" unless rate > 0
        calls = calls.empty? ? READS + WRITES : plain(calls, READS + WRITES, "throttle")
        slice = (rate / 10).to_i
        slice = 4096 if slice < 4096
        outs = calls & WRITES
        line(calls & READS, rate, path, fd)
        line(outs, rate, path, fd)
        # cp asks copy_file_range for "everything": a slice at a time
        [:count, :len].each do |arg|
          upto = outs.select { |c| COUNT_ARG[c] == arg && UPTO.include?(c) }
          next if upto.empty?
          set = :"#{arg}="
          hook(:on, upto, path, fd) { |call| call.__send__(set, slice) if call.__send__(arg) > slice }
        end
        nil
      end

      # One line: its calls return once it would have carried their bytes.
      def line(calls, rate, path, fd)
        return if calls.empty?
        free = 0.0 # when the line is free again
        hook(:after, calls, path, fd) do |call|
          r = call.result
          if r > 0
            t = Hijack.monotonic
            free = t - BURST if free < t - BURST
            free += r / rate
            call.delay(free - t) if free > t
          end
        end
      end

      # ---- short_io ----

      # Reads and writes move fewer bytes than asked (1 to count-1, at
      # random), as a kernel may for pipes, sockets and signals; the
      # program must loop. A call asking for 0 or 1 byte is left alone.
      def short_io(*calls, probability: 1.0, path: nil, fd: nil)
        p = probability(probability)
        calls = calls.empty? ? SHORT_CALLS : plain(calls, SHORT_CALLS, "short_io")
        [:count, :len].each do |arg|
          these = calls.select { |c| COUNT_ARG[c] == arg }
          next if these.empty?
          set = :"#{arg}="
          upto = these & UPTO
          hook(:on, these, path, fd) do |call|
            n = call.__send__(arg).to_i
            if n > 1 && (p >= 1.0 || Hijack.rand < p)
              # cp asks copy_file_range for "all there is": short is
              # then short of a chunk
              n = UPTO_CHUNK if n > UPTO_CHUNK && upto.include?(call.name)
              n = INF if n > INF
              call.__send__(set, 1 + Hijack.rand(n - 1))
            end
          end
        end
        nil
      end

      # ---- corrupt ----

      # Flips one bit (at random) in the data a call reads (after it) or
      # writes (before it). count: at most that many calls corrupted per
      # process (nil: no limit).
      def corrupt(*calls, probability: 1.0, count: nil, path: nil, fd: nil)
        p = probability(probability)
        raise ArgumentError, "count: must be an Integer >= 1 or nil" unless count.nil? || (count.is_a?(Integer) && count >= 1)
        calls = calls.empty? ? CORRUPT_READS + CORRUPT_WRITES : plain(calls, CORRUPT_READS + CORRUPT_WRITES, "corrupt")
        left = count || INF
        forked { left = count || INF }
        reads = calls & CORRUPT_READS
        unless reads.empty?
          hook(:after, reads, path, fd) do |call|
            if left > 0 && call.result > 0 && (p >= 1.0 || Hijack.rand < p)
              call.buf = flip(call.buf)
              left -= 1
            end
          end
        end
        [:count, :len].each do |arg|
          these = (calls & CORRUPT_WRITES).select { |c| COUNT_ARG[c] == arg }
          next if these.empty?
          hook(:on, these, path, fd) do |call|
            if left > 0 && call.__send__(arg) > 0 && (p >= 1.0 || Hijack.rand < p)
              call.buf = flip(call.buf)
              left -= 1
            end
          end
        end
        nil
      end

      # one bit of s, chosen by Hijack.rand, flipped
      def flip(s)
        i = Hijack.rand(s.bytesize)
        s.setbyte(i, s.getbyte(i) ^ (1 << Hijack.rand(8)))
        s
      end

      # ---- partition ----

      # The peers ("host", "host:port", "[v6]:port"; names are resolved
      # once, when the script loads) are unreachable: connect fails with
      # ETIMEDOUT (after timeout: seconds), datagrams sent to them vanish
      # (sendto says it sent them all), datagrams from them never arrive.
      def partition(*peers, timeout: 0)
        raise ArgumentError, "Chaos.partition: name at least one peer (\"host\" or \"host:port\")" if peers.empty?
        raise ArgumentError, "timeout: must be a number >= 0" unless timeout.is_a?(Numeric) && timeout >= 0
        hosts = {}
        ends = {}
        peers.flatten.each do |peer|
          host, port = split_peer(peer.to_s)
          addresses(host).each do |ip|
            if port
              ends[join_peer(ip, port)] = true
              ends[join_peer("::ffff:#{ip}", port)] = true unless ip.include?(":")
            else
              hosts[ip] = true
              hosts["::ffff:#{ip}"] = true unless ip.include?(":")
            end
          end
        end
        cut = lambda do |addr|
          next false if addr.nil? || ends.empty? && hosts.empty?
          next true if ends[addr]
          i = addr.rindex(":")
          next false unless i && !addr.start_with?("/", "@")
          h = addr[0, i]
          h = h[1..-2] if h.start_with?("[")
          hosts[h] || false
        end
        wait = timeout.to_f
        Hijack.on(:connect) do |call|
          if cut.call(call.addr)
            call.delay(wait) if wait > 0
            call.fail(:ETIMEDOUT)
          end
        end
        Hijack.on(:sendto) { |call| call.return(call.len) if cut.call(call.addr) }
        Hijack.after(:recvfrom) { |call| call.retry if call.result >= 0 && cut.call(call.addr) }
        nil
      end

      def split_peer(s)
        if s.start_with?("[") # [v6] or [v6]:port
          close = s.index("]") or raise ArgumentError, "Chaos.partition: bad peer #{s.inspect}"
          rest = s[close + 1..-1]
          return [s[1...close], nil] if rest.empty?
          raise ArgumentError, "Chaos.partition: bad peer #{s.inspect}" unless rest.start_with?(":")
          return [s[1...close], port(rest[1..-1], s)]
        end
        i = s.index(":")
        return [s, nil] if i.nil? || s.index(":", i + 1) # a name, or a bare v6
        [s[0, i], port(s[i + 1..-1], s)]
      end

      def port(p, peer)
        raise ArgumentError, "Chaos.partition: bad port in #{peer.inspect}" unless !p.empty? && p.each_char.all? { |ch| ch >= "0" && ch <= "9" } && p.to_i < 65536
        p.to_i
      end

      def join_peer(ip, port)
        ip.include?(":") ? "[#{ip}]:#{port}" : "#{ip}:#{port}"
      end

      # an address literal as is; a name as the resolver answers now
      def addresses(host)
        return [host] if ip?(host)
        ips = Addrinfo.getaddrinfo(host, nil).map { |a| a.ip_address }.uniq
        ips.map { |ip| ip.start_with?("::ffff:") && ip.count(".") == 3 ? ip[7..-1] : ip }.uniq
      rescue StandardError => e
        Hijack.log "hijack: Chaos.partition: cannot resolve #{host.inspect} (#{e.message}); not partitioned"
        []
      end

      def ip?(h)
        return true if h.include?(":") # v6
        parts = h.split(".")
        parts.size == 4 && parts.all? { |x| !x.empty? && x.size <= 3 && x.each_char.all? { |ch| ch >= "0" && ch <= "9" } && x.to_i < 256 }
      end

      # ---- oom ----

      # The allocator fails (NULL and ENOMEM; posix_memalign returns
      # ENOMEM; mmap of anonymous memory MAP_FAILED) for any request that
      # would take the bytes the program asked for in all past after_bytes.
      # Requests are added up as they are made (frees do not give bytes
      # back: failmalloc's model), per process; smaller requests still
      # succeed while they fit, so the program can report its failure.
      def oom(after_bytes:)
        raise ArgumentError, "after_bytes: must be an Integer >= 0" unless after_bytes.is_a?(Integer) && after_bytes >= 0
        limit = after_bytes
        taken = 0
        forked { taken = 0 }
        Hijack.on(:malloc, :realloc, :posix_memalign, :aligned_alloc) do |call|
          n = call.size
          if taken + n > limit
            call.fail(:ENOMEM)
          else
            taken += n
          end
        end
        Hijack.on(:calloc) do |call|
          n = call.nmemb * call.size
          if taken + n > limit
            call.fail(:ENOMEM)
          else
            taken += n
          end
        end
        Hijack.on(:mmap) do |call|
          if call.flags & MAP_ANONYMOUS != 0
            n = call.length
            if taken + n > limit
              call.fail(:ENOMEM)
            else
              taken += n
            end
          end
        end
        nil
      end

      # ---- disk_full ----

      # Writes to files under path (through fds whose path is there) fail
      # with ENOSPC once after_bytes have been written to them; the write
      # that crosses the limit writes what fits. Bytes written are counted
      # per process, not the disk's usage: rewriting a block counts again.
      def disk_full(path:, after_bytes:)
        raise ArgumentError, "after_bytes: must be an Integer >= 0" unless after_bytes.is_a?(Integer) && after_bytes >= 0
        globs = patterns(path, "disk_full")
        limit = after_bytes
        used = 0
        forked { used = 0 }
        # write, pwrite, sendfile: cut to what fits
        Hijack.on(:write, :pwrite, :sendfile, path: globs) do |call|
          room = limit - used
          n = call.count
          if room <= 0
            call.fail(:ENOSPC) if n > 0
          else
            if n > room
              call.count = room
              n = room
            end
            used += n
          end
        end
        # writev: all or nothing (its size is the sum of its buffers)
        Hijack.on(:writev, path: globs) do |call|
          n = call.iov.bytesize
          if used + n > limit && n > 0
            call.fail(:ENOSPC)
          else
            used += n
          end
        end
        Hijack.on(:fallocate, path: globs) do |call|
          if used + call.len > limit
            call.fail(:ENOSPC)
          else
            used += call.len
          end
        end
        # copy_file_range: the path filter would look at fd_in; look at fd_out
        Hijack.on(:copy_file_range) do |call|
          out = File.readlink("/proc/self/fd/#{call.fd_out}") rescue nil
          if out && Hijack.path_match?(globs, out)
            room = limit - used
            n = call.len
            if room <= 0
              call.fail(:ENOSPC) if n > 0
            else
              if n > room
                call.len = room
                n = room
              end
              used += n
            end
          end
        end
        nil
      end

      # path: as Hijack.on takes it (a file or directory, which covers
      # what is under it, or a glob), as the program names it and, for a
      # plain path, as /proc names its fds (through symlinks)
      def patterns(path, who)
        list = path.is_a?(Array) ? path : [path]
        unless !list.empty? && list.all? { |x| x.is_a?(String) && !x.empty? }
          raise ArgumentError, "Chaos.#{who}: path: takes a path or glob String, or an Array of them, got #{path.inspect}"
        end
        list.flat_map do |x|
          abs = x.start_with?("*") ? x : File.expand_path(x)
          wild = abs.include?("*") || abs.include?("?") || abs.include?("[")
          real = wild ? nil : (File.realpath(abs) rescue nil)
          real && real != abs ? [abs, real] : [abs]
        end
      end

      # ---- helpers ----

      # blocks run in a forked child (counters start again there)
      def forked(&blk)
        if @forked.empty?
          # not a rule of its own: a fork says nothing of the recipe's calls
          Hijack.after(:fork, report: false) { |call| @forked.each(&:call) if call.result == 0 }
        end
        @forked << blk
      end

      def hook(phase, calls, path, fd, &blk)
        f = {}
        f[:path] = path if path
        f[:fd] = fd if fd
        if f.empty?
          Hijack.__send__(phase, *calls, &blk)
        else
          Hijack.__send__(phase, *calls, f, &blk)
        end
      end

      def names(calls, who)
        raise ArgumentError, "Chaos.#{who}: name at least one call or group" if calls.empty?
      end

      # call names from a fixed set (ABI twins as their plain name)
      def plain(calls, allowed, who)
        calls.flatten.map do |c|
          s = c.to_sym
          s = TWINS[s] || s
          raise ArgumentError, "Chaos.#{who}: #{c.inspect} is not one of #{allowed.uniq.join(', ')}" unless allowed.include?(s)
          s
        end.uniq
      end

      def probability(p)
        raise ArgumentError, "probability: must be a number from 0 to 1, got #{p.inspect}" unless p.is_a?(Numeric) && p >= 0 && p <= 1
        p.to_f
      end

      def check_errno(e)
        ok = e.is_a?(Integer) ? e > 0 : (e.is_a?(Symbol) || e.is_a?(String)) && e.to_s.start_with?("E")
        raise ArgumentError, "errno: takes a name (:ENOSPC) or a number, got #{e.inspect}" unless ok
        e.is_a?(String) ? e.to_sym : e
      end

      def no_more(opts)
        raise ArgumentError, "unknown keyword: #{opts.keys.map(&:inspect).join(', ')}" unless opts.empty?
      end

      # [first, last, step]; step 0: the first only
      def when_spec(w)
        case w
        when nil then nil
        when Integer
          raise ArgumentError, "when: counts from 1, got #{w}" if w < 1
          [w, w, 0]
        when Range
          first = w.begin || 1
          last = w.end.nil? ? INF : (w.exclude_end? ? w.end - 1 : w.end)
          raise ArgumentError, "when: bad range #{w.inspect}" unless first.is_a?(Integer) && last.is_a?(Integer) && first >= 1 && last >= first
          [first, last, 1]
        when String
          s = w.strip
          step = nil
          if (plus = s.index("+"))
            st = s[plus + 1..-1]
            s = s[0, plus]
            step = st.empty? ? 1 : digits(st, w)
            raise ArgumentError, "when: step must be >= 1 in #{w.inspect}" if step < 1
          end
          if (dots = s.index(".."))
            first = digits(s[0, dots], w)
            last = digits(s[dots + 2..-1], w)
            raise ArgumentError, "when: #{w.inspect}: LAST before FIRST" if last < first
            step ||= 1
          else
            first = digits(s, w)
            last = step ? INF : first
          end
          raise ArgumentError, "when: counts from 1, got #{w.inspect}" if first < 1
          [first, last, step || 0]
        else
          raise ArgumentError, "when: takes an Integer, a Range or a String (\"3\", \"3+\", \"3+2\", \"3..5\"), got #{w.inspect}"
        end
      end

      # errors in the arguments name the script's line, not ours
      [:fail, :delay, :throttle, :short_io, :corrupt, :partition, :oom, :disk_full].each do |name|
        impl = :"__#{name}"
        alias_method impl, name
        define_method(name) do |*args, **kw, &blk|
          begin
            __send__(impl, *args, **kw, &blk)
          rescue ArgumentError, TypeError => e
            e.set_backtrace(caller)
            raise e
          end
        end
      end

      def digits(s, w)
        raise ArgumentError, "when: bad #{w.inspect} (FIRST, FIRST+, FIRST+STEP, FIRST..LAST, FIRST..LAST+STEP)" unless !s.empty? && s.each_char.all? { |ch| ch >= "0" && ch <= "9" }
        s.to_i
      end
    end
  end
end
