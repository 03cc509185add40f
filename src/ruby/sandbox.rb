# Hijack::Sandbox: what a program may not do. A denied call fails with
# EACCES, so the program says what it says when the system refuses it.
module Hijack
  module Sandbox
    # Every socket family but the local ones: a unix socket (syslog,
    # nscd, D-Bus) or netlink (the kernel's own) is local, and denying it
    # would break more than it protects; the rest (inet, packet, vsock,
    # tipc...) reach other machines. The same as --enforce's seccomp rule.
    LOCAL_FAMILIES = [1, 16] # AF_UNIX, AF_NETLINK
    # and sockets the program had before: by the address it gives
    NET_ADDRESSED = [:connect, :bind, :sendto]
    EXEC = [:execve, :execv, :execvp, :execvpe, :execl, :execlp, :execle,
            :posix_spawn, :posix_spawnp, :system]

    @denied = {}
    @allowed = { read: [], write: [], exec: [], connect: [], calls: [] }
    @kernel = []      # the rules `--enforce` hands the kernel: see plan
    @named = {}       # the kinds allow named, even with an empty list
    @enforce = false

    def self.deny(*what)
      what.flatten.each do |w|
        w = w.to_sym
        next if @denied[w]
        @denied[w] = true
        @kernel << "deny #{w}"
        case w
        when :network
          Hijack.on(:socket) { |c| c.fail(:EACCES) unless LOCAL_FAMILIES.include?(c.domain) }
          Hijack.on(*NET_ADDRESSED) { |c| c.fail(:EACCES) if Sandbox.inet?(c.addr) }
        when :exec
          Hijack.on(*EXEC) { |c| c.fail(:EACCES) }
        else
          Hijack.on(w) { |c| c.fail(:EACCES) }
        end
      end
      nil
    end

    # allow(read:, write:, exec:, connect:, calls:): a policy of what the
    # program may do (globs, "host:port", call names). Under --enforce the
    # kernel holds it; without, each call it would refuse is logged. A kind
    # named (even with an empty list) is checked: the calls of that kind
    # outside its list are refused (see Allow below); a kind not named is
    # left alone and costs nothing.
    def self.allow(read: nil, write: nil, exec: nil, connect: nil, calls: nil)
      given = { read: read, write: write, exec: exec, connect: connect, calls: calls }
      given.each do |k, v|
        next if v.nil?
        @named[k] = true
        v = [v] unless v.is_a?(Array)
        v.each do |x|
          x = x.to_s
          misuse ArgumentError, "allow #{k}: #{x.inspect} is not one line" if x.include?("\n") || x.empty?
          # a relative path is the working directory's where the script
          # loads (the kernel's rules take absolute ones)
          if k == :connect && !x.start_with?("/", "@") && !x.include?(":")
            misuse ArgumentError, "allow connect: #{x.inspect} is not \"host:port\", \"host:*\" or a unix socket's path"
          end
          if k != :calls && k != :connect && !x.start_with?("/")
            x = File.expand_path(x)
          end
          @allowed[k] << x unless @allowed[k].include?(x)
        end
      end
      Allow.check(given.keys.reject { |k| given[k].nil? })
      nil
    end

    def self.allowed
      @allowed
    end

    # enforce!: as `hijack run --enforce`, from a script. The launcher
    # reads it before the program starts; a process whose rules the
    # kernel does not hold (not started by `hijack run`) is told so.
    def self.enforce!
      @enforce = true
      misuse RuntimeError, "Sandbox.enforce!: the kernel's rules are installed by `hijack run` " \
        "before the program starts; this process was not started so" unless Hijack.enforcing?
      nil
    end

    # Readonly and hidden paths, from Hijack::FS.
    def self.kernel_rule(kind, path)
      line = "#{kind} #{path}"
      @kernel << line unless @kernel.include?(line)
    end

    # The launcher's reading of the rules, before the program starts: one
    # rule a line ("deny network", "readonly /p", "allow write" for each
    # kind named, "write /tmp/**", "enforce"), for src/enforce to install.
    def self.plan
      lines = @kernel.dup
      @named.each_key { |k| lines << "allow #{k}" }
      @allowed.each { |k, v| v.each { |x| lines << "#{k} #{x}" } }
      lines << "enforce" if @enforce
      lines.join("\n")
    end

    # an error that names the script's line, not ours
    def self.misuse(cls, msg)
      e = cls.new(msg)
      bt = caller.reject { |l| l.start_with?("hijack/sandbox.rb") }
      e.set_backtrace(bt) unless bt.empty?
      raise e
    end

    # "host:port" or "[v6]:port", not a unix path ("/run/x", "@abstract")
    def self.inet?(addr)
      !addr.nil? && addr.include?(":") && !addr.start_with?("/", "@", "{")
    end

    # Allow: the policy of Sandbox.allow, checked in the process. A call of
    # a kind that allow named, outside its list, is refused: logged once per
    # (kind, path) and process on the trace output, and, where the kernel
    # holds the rules (Hijack.enforcing?), failed with EACCES as Landlock
    # fails it. A call the kernel would fail first (ENOENT: nothing there;
    # EEXIST: mkdir of what exists) is left to fail so.
    #   read:    opens for reading (open, openat, creat, openat2, fopen,
    #            opendir); what write: allows may be read too
    #   write:   opens for writing, creating or truncating; mkdir, mknod,
    #            symlink and link (the new name), rename (both), unlink,
    #            rmdir, truncate, chmod, chown, utimensat, *xattr (paths)
    #   exec:    the exec family and posix_spawn (the program's path;
    #            system and popen: /bin/sh)
    #   connect: connect and sendto's peer ("host:port", "[v6]:port", a
    #            unix path or "@abstract")
    #   calls:   every call by name (only when named: it hooks them all)
    # Patterns: an exact path; "DIR/**", DIR and all under it; '*' and '?'
    # within one name ("/home/*/.cache/**"); relative ones are taken
    # against the working directory where the script loads (each exec'd
    # program loads it again: give absolute paths to a program that
    # changes directory before it runs another). A call's relative path
    # is made absolute against its cwd or dirfd. Peers: "host:port", "host:*",
    # "*:port", "[v6]:port", unix paths as paths. openat2 keeps its flags
    # in a struct the hook does not read: it is checked as a read.
    module Allow
      O_WRONLY = 1
      O_CREAT = 0o100
      O_TRUNC = 0o1000
      O_TMPFILE = 0o20000000
      O_PATH = 0o10000000
      # library functions that are not system calls: never named by calls:
      LIBRARY = %w[malloc calloc realloc free posix_memalign aligned_alloc fopen freopen
                   opendir readdir closedir getaddrinfo time gettimeofday clock_gettime ftime
                   timespec_get execv execvp execvpe execl execlp execle posix_spawn posix_spawnp
                   system popen vfork fork pthread_cond_timedwait pthread_cond_clockwait
                   pthread_mutex_timedlock pthread_mutex_clocklock pthread_rwlock_timedrdlock
                   pthread_rwlock_timedwrlock pthread_rwlock_clockrdlock pthread_rwlock_clockwrlock
                   pthread_timedjoin_np pthread_clockjoin_np sem_timedwait sem_clockwait].freeze

      # calls the kernel's filter lets through under any calls: list
      # (src/enforce/seccomp.c's baseline: what every process needs to run,
      # and hijack's own): never refused here either
      BASELINE = %w[read write close exit exit_group rt_sigreturn restart_syscall brk mmap munmap
                    mprotect mremap madvise rt_sigaction rt_sigprocmask sigaltstack futex
                    set_robust_list rseq set_tid_address arch_prctl prctl getpid gettid tgkill
                    clock_gettime gettimeofday sched_yield getrandom prlimit64].freeze

      @rules = {}       # kind => compiled patterns
      @verdicts = {}    # kind => { path => allowed }
      @hooked = {}
      @logged = {}
      @logged_pid = nil
      @enforcing = nil
      @calls_gen = 0

      class << self
        def check(kinds)
          kinds.each do |k|
            @rules[k] = Sandbox.allowed[k].map { |x| compile(k, x) }
            @verdicts[k] = {}
          end
          # what may be written may be read, as the kernel's rules have it
          if @rules[:read] && (kinds.include?(:read) || kinds.include?(:write))
            @rules[:read] = (Sandbox.allowed[:read] + Sandbox.allowed[:write]).map { |x| compile(:read, x) }
            @verdicts[:read] = {}
          end
          kinds.each { |k| hook(k) }
        end

        def enforcing?
          @enforcing = Hijack.enforcing? if @enforcing.nil?
          @enforcing
        end

        def hook(k)
          if k == :calls	# the complement of the list, decided in C
            gen = (@calls_gen += 1)
            spec = "!" + (Sandbox.allowed[:calls] + LIBRARY + BASELINE).map { |n| "?#{n}" }.join(",")
            Hijack.on(spec, report: false) { |c| Allow.refuse(c, :calls, c.name.to_s, nil) if gen == @calls_gen }
            return
          end
          return if @hooked[k]
          @hooked[k] = true
          # except_path: the paths the list allows whole (an exact path or
          # a tree), which C lets through without Ruby; flags_*: the opens
          # of that kind (see api.c)
          free = c_globs(k)
          case k
          when :read
            Hijack.on(:open, :openat, :creat, :openat2, except_path: free, flags_none: O_WRONLY | O_PATH,
                      report: false) { |c| Allow.open(c, :read) }
            Hijack.on(:fopen, :freopen, :opendir, except_path: free, report: false) do |c|
              c.name == :opendir ? Allow.path(c, :read, :path, :exists) : Allow.fopen(c, :read)
            end
          when :write
            Hijack.on(:open, :openat, :creat, :openat2, except_path: free,
                      flags_any: O_WRONLY | 2 | O_CREAT | O_TRUNC | O_TMPFILE, report: false) { |c| Allow.open(c, :write) }
            Hijack.on(:fopen, :freopen, except_path: free, report: false) { |c| Allow.fopen(c, :write) }
            Hijack.on(:unlink, :unlinkat, :rmdir, :truncate, :chmod, :fchmodat, :chown, :lchown, :fchownat,
                      :utimensat, :utime, :utimes, :futimesat, :setxattr, :lsetxattr, :removexattr,
                      :lremovexattr, except_path: free, report: false) { |c| Allow.path(c, :write, :path, :exists) }
            Hijack.on(:mkdir, :mkdirat, :mknod, :mknodat, except_path: free, report: false) do |c|
              Allow.path(c, :write, :path, :create)
            end
            Hijack.on(:symlink, :symlinkat, except_path: free, report: false) { |c| Allow.path(c, :write, :linkpath, :create) }
            # two paths each: a filter on either would let the other by
            Hijack.on(:link, :linkat, report: false) { |c| Allow.path(c, :write, :newpath, :create) }
            Hijack.on(:rename, :renameat, :renameat2, report: false) do |c|
              Allow.path(c, :write, :oldpath, :exists) || Allow.path(c, :write, :newpath, :replace)
            end
          when :exec
            Hijack.on(:execve, :execveat, :execv, :execl, :execle, :posix_spawn, except_path: free, report: false) do |c|
              Allow.path(c, :exec, :path, :file)
            end
            # a bare name is looked up in PATH: the execve it makes is seen
            Hijack.on(:execvp, :execvpe, :execlp, :posix_spawnp, except_path: free, report: false) do |c|
              f = c.file
              Allow.path(c, :exec, :file, :file) if f && f.include?("/")
            end
            Hijack.on(:system, :popen, report: false) do |c|
              Allow.refuse(c, :exec, "/bin/sh", "\"/bin/sh\"") if c.command && !allowed?(:exec, "/bin/sh")
            end
          when :connect
            Hijack.on(:connect, :sendto, report: false) { |c| Allow.connect(c) }
          end
        end

        # The list's patterns that C can match exactly as match does: a
        # tree as a path: filter's plain path (it and all under it), an
        # exact path with one byte bracketed (a glob: nothing under it).
        # '*' within a name has no C form: those paths reach Ruby.
        def c_globs(k)
          @rules[k].map do |m|
            case m[0]
            when :tree then m[1].empty? ? "/" : c_escape(m[1])
            when :exact
              p = m[1]
              b = p.getbyte(1)
              next nil if p.getbyte(0) != 47 || b.nil? || b == 33 || b == 94 || b >= 128	# '!', '^'
              "/[" + p[1] + "]" + c_escape(p[2, p.size])
            end
          end.compact
        end

        def c_escape(s)
          out = ""
          s.each_char { |ch| out << "\\" if ch == "*" || ch == "?" || ch == "[" || ch == "\\"; out << ch }
          out
        end

        # ---- the checks ----

        # an open, checked for one kind (each kind has its own hook)
        def open(c, kind)
          name = c.name
          if name == :creat
            flags = O_WRONLY | O_CREAT | O_TRUNC
          elsif name == :openat2
            flags = 0
          else
            flags = c.flags
            return nil unless flags
          end
          return nil if flags & O_PATH != 0
          if kind == :read
            return nil if flags & 3 == O_WRONLY
          else
            return nil unless flags & 3 != 0 || flags & (O_CREAT | O_TRUNC | O_TMPFILE) != 0
          end
          raw = c.path
          return nil if raw.nil? || raw.empty?
          p = c.abspath
          return nil if p.nil? || allowed?(kind, p)
          if kind == :read
            return File.exist?(p) ? refuse(c, :read, p, p.inspect) : nil
          end
          if File.exist?(p) || (flags & (O_CREAT | O_TMPFILE) != 0 && File.directory?(File.dirname(p)))
            return refuse(c, :write, p, p.inspect)
          end
          nil
        end

        def fopen(c, kind)
          m = c.mode || "r"
          if kind == :read
            return nil unless m.include?("r") || m.include?("+")
          else
            return nil unless m.include?("w") || m.include?("a") || m.include?("+")
          end
          p = c.abspath
          return nil if p.nil? || allowed?(kind, p)
          there = File.exist?(p)
          return refuse(c, :read, p, p.inspect) if kind == :read && there
          if kind == :write && (there || (!m.include?("r") && File.directory?(File.dirname(p))))
            return refuse(c, :write, p, p.inspect)
          end
          nil
        end

        # the path argument arg of c, of kind; how says when the kernel
        # would get as far as the rule: :exists (it is there), :file (a
        # file to run), :create (not there, its directory is), :replace
        # (its directory is there)
        def path(c, kind, arg, how)
          raw = c.__send__(arg)
          return false if raw.nil? || raw.empty?
          p = c.abspath(arg)
          return false if p.nil? || allowed?(kind, p)
          reaches = case how
                    when :exists then File.exist?(p) || File.symlink?(p)
                    when :file then File.file?(p)
                    when :create then !(File.exist?(p) || File.symlink?(p)) && File.directory?(File.dirname(p))
                    else File.directory?(File.dirname(p))
                    end
          reaches ? refuse(c, kind, p, p.inspect) : false
        end

        def connect(c)
          a = c.addr
          return nil if a.nil? || a.empty?
          b = a.getbyte(0)
          unless b == 47 || b == 64 || ((b == 91 || (b >= 48 && b <= 57)) && a.include?(":"))
            return nil	# AF_UNSPEC, netlink...: not a peer
          end
          return nil if allowed?(:connect, a)
          refuse(c, :connect, a, a.inspect)
        end

        def refuse(c, kind, what, shown)
          pid = Hijack.pid
          if pid != @logged_pid
            @logged = {}
            @logged_pid = pid
          end
          key = "#{kind} #{what}"
          unless @logged[key]
            @logged[key] = true
            verb = enforcing? ? "refused" : "would refuse"
            Hijack.log("hijack: policy: #{verb} #{c.name}#{shown ? " " + shown : ""} (#{kind}: not allowed)")
          end
          c.fail(:EACCES) if enforcing?
          true
        end

        # ---- patterns ----

        def allowed?(kind, p)
          v = @verdicts[kind]
          r = v[p]
          return r unless r.nil?
          v.clear if v.size > 4096
          v[p] = @rules[kind].any? { |m| match(m, p) }
        end

        def compile(kind, x)
          if kind == :calls
            return [:name, x]
          end
          if kind == :connect && !x.start_with?("/")
            return [:exact, x] if x.start_with?("@")
            i = x.rindex(":")
            return [:exact, x] unless i
            return [:inet, x[0, i], x[i + 1, x.size]]
          end
          x = File.expand_path(x) unless x.start_with?("/")
          x = x.chomp("/") while x.size > 1 && x.end_with?("/")
          wild = x.include?("*") || x.include?("?")
          return [:exact, x] unless wild
          if x.end_with?("/**")
            dir = x[0, x.size - 3]
            return [:tree, dir, dir + "/"] unless dir.include?("*") || dir.include?("?")
          end
          [:glob, x.split("/")]
        end

        def match(m, p)
          case m[0]
          when :exact then p == m[1]
          when :tree then m[1].empty? || p == m[1] || p.start_with?(m[2])
          when :glob then p.getbyte(0) == 47 && parts(m[1], 0, p.split("/"), 0)
          when :inet
            b = p.getbyte(0)
            return false if b == 47 || b == 64
            i = p.rindex(":")
            i && (m[1] == "*" || m[1] == p[0, i]) && (m[2] == "*" || m[2] == p[i + 1, p.size])
          else false
          end
        end

        # pattern components pp from i against path components sp from j
        def parts(pp, i, sp, j)
          while i < pp.size
            if pp[i] == "**"
              return true if i == pp.size - 1
              k = j
              while k <= sp.size
                return true if parts(pp, i + 1, sp, k)
                k += 1
              end
              return false
            end
            return false if j >= sp.size || !name_match(pp[i], sp[j])
            i += 1
            j += 1
          end
          j == sp.size
        end

        # '*' and '?' within one name
        def name_match(g, s)
          gi = si = 0
          star = -1
          resume = 0
          while si < s.size
            gc = g.getbyte(gi)
            if gc == 42
              star = gi += 1
              resume = si
            elsif gc && (gc == 63 || gc == s.getbyte(si))
              gi += 1
              si += 1
            elsif star >= 0
              gi = star
              si = resume += 1
            else
              return false
            end
          end
          gi += 1 while g.getbyte(gi) == 42
          gi == g.size
        end
      end
    end
  end
end
