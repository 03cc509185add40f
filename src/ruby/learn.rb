# Hijack::Learn: what `hijack learn` runs. In each process of the
# program, record(file) notes what the program touches (one line per new
# thing, appended to file, so that an exec, which runs no at_exit, loses
# nothing); in the launcher, write(...) makes the notes a policy for
# Hijack::Sandbox.allow, grouped and with trees where a tree is used.
#
# Notes, one a line: "proc PID", "read PATH", "write PATH" (a file
# changed in place), "create DIR" (a name made, removed or renamed in
# DIR: the kernel holds that right on the directory), "exec PATH",
# "connect PEER". Only what the kernel would have checked is noted: a
# path that is not there (ENOENT) needs no right.
module Hijack
  module Learn
    O_WRONLY = 1
    O_CREAT = 0o100
    O_TRUNC = 0o1000
    O_TMPFILE = 0o20000000
    O_PATH = 0o10000000

    @file = nil
    @seen = {}
    @pid = nil

    class << self
      def record(file)
        @file = file
        Hijack.on(:open, :openat, :creat, :openat2, report: false) { |c| Learn.open(c) }
        Hijack.on(:fopen, :freopen, report: false) { |c| Learn.fopen(c) }
        Hijack.on(:opendir, report: false) { |c| Learn.there(c, :path, "read") }
        Hijack.on(:truncate, :chmod, :fchmodat, :chown, :lchown, :fchownat, :utimensat, :utime, :utimes,
                  :futimesat, :setxattr, :lsetxattr, :removexattr, :lremovexattr, report: false) do |c|
          Learn.there(c, :path, "write")
        end
        Hijack.on(:unlink, :unlinkat, :rmdir, :mkdir, :mkdirat, :mknod, :mknodat, report: false) { |c| Learn.made(c, :path) }
        Hijack.on(:symlink, :symlinkat, report: false) { |c| Learn.made(c, :linkpath) }
        Hijack.on(:link, :linkat, report: false) { |c| Learn.made(c, :newpath) }
        Hijack.on(:rename, :renameat, :renameat2, report: false) do |c|
          Learn.made(c, :oldpath)
          Learn.made(c, :newpath)
        end
        Hijack.on(:execve, :execveat, :execv, :execl, :execle, :posix_spawn, report: false) { |c| Learn.exec(c, :path) }
        Hijack.on(:execvp, :execvpe, :execlp, :posix_spawnp, report: false) do |c|
          f = c.file
          Learn.exec(c, :file) if f && f.include?("/")	# else the execve it makes is seen
        end
        Hijack.on(:system, :popen, report: false) { |c| Learn.program("/bin/sh") if c.command }
        Hijack.on(:connect, :sendto, report: false) { |c| Learn.connect(c) }
        note("proc", Hijack.pid.to_s)
        mapped
        nil
      end

      # What the dynamic loader opened before hijack's hooks were there:
      # the files mapped now (the program, its libraries, the loader).
      def mapped
        text = (File.open("/proc/self/maps") { |f| f.read } rescue nil)
        return unless text
        text.split("\n").each do |l|
          i = l.index(" /")
          next unless i
          p = l[i + 1, l.size]
          note("read", p) unless p.end_with?(" (deleted)")
        end
      end

      def note(kind, what)
        pid = Hijack.pid
        if pid != @pid	# a new process (a fork shares what its parent noted)
          @pid = pid
          add("proc #{pid}")
        end
        add("#{kind} #{what}") unless kind == "proc"
      end

      # (a path with a newline in it cannot be a policy's line: left out)
      def add(line)
        return if @seen[line] || line.include?("\n")
        @seen[line] = true
        File.open(@file, "a") { |f| f.write(line + "\n") }
      end

      def open(c)
        name = c.name
        flags = name == :creat ? O_WRONLY | O_CREAT | O_TRUNC : name == :openat2 ? 0 : c.flags
        return if flags.nil? || flags & O_PATH != 0
        raw = c.path
        return if raw.nil? || raw.empty?
        p = c.abspath
        return unless p
        there = File.exist?(p)
        note("read", p) if there && flags & 3 != O_WRONLY
        if flags & O_TMPFILE == O_TMPFILE
          note("create", p)
        elsif there && (flags & 3 != 0 || flags & O_TRUNC != 0)
          note("write", p)
        elsif !there && flags & O_CREAT != 0 && File.directory?(File.dirname(p))
          note("create", File.dirname(p))
        end
      end

      def fopen(c)
        m = c.mode || "r"
        p = c.abspath
        return unless p
        there = File.exist?(p)
        note("read", p) if there && (m.include?("r") || m.include?("+"))
        if there && (m.include?("w") || m.include?("a") || m.include?("+"))
          note("write", p)
        elsif !there && (m.include?("w") || m.include?("a")) && File.directory?(File.dirname(p))
          note("create", File.dirname(p))
        end
      end

      def there(c, arg, kind)
        raw = c.__send__(arg)
        return if raw.nil? || raw.empty?
        p = c.abspath(arg)
        note(kind, p) if p && (File.exist?(p) || File.symlink?(p))
      end

      # a name made or removed: its directory's right
      def made(c, arg)
        raw = c.__send__(arg)
        return if raw.nil? || raw.empty?
        p = c.abspath(arg)
        return unless p && p != "/"
        d = File.dirname(p)
        note("create", d) if File.directory?(d)
      end

      def exec(c, arg)
        p = c.abspath(arg)
        program(p) if p
      end

      # a program run, and the interpreter its #! line names
      def program(p, depth = 0)
        return unless File.file?(p)
        note("exec", p)
        note("read", p)
        line = (File.open(p) { |f| f.read(256) } rescue nil)
        return unless line && line.start_with?("#!") && depth < 4
        interp = line[2, line.size].split("\n")[0].to_s.strip.split(" ")[0]
        program(interp, depth + 1) if interp && interp.start_with?("/")
      end

      def connect(c)
        a = c.addr
        return if a.nil? || a.empty?
        b = a.getbyte(0)
        note("connect", a) if b == 47 || b == 64 || ((b == 91 || (b >= 48 && b <= 57)) && a.include?(":"))
      end

      # ---- the policy, in the launcher ----

      # System trees a program reads as a whole (its libraries, its
      # configuration); a read there allows the tree.
      SYSTEM = %w[usr lib lib32 lib64 libx32 bin sbin etc sys proc].freeze
      SEVERAL = 3	# files (or trees) used in one directory make it a tree
      # What the dynamic loader reads before hijack's hooks are there.
      LOADER = ["/etc/ld.so.cache", "/lib/**", "/lib64/**", "/usr/**"].freeze
      # Calls every dynamically linked program makes at its start (the
      # loader's own, before the start-up watcher sees any).
      START_CALLS = %w[execve brk arch_prctl mmap munmap mprotect access openat newfstatat read pread64
                       close set_tid_address set_robust_list rseq prlimit64 getrandom exit_group].freeze
      # Calls hijack's library makes in the program, which its counts do
      # not show: its hooks read and write the program's memory (peek.c,
      # a clone's return), its watchdog sleeps, pthread_getattr_np asks
      # the stack's bounds, /proc/self/stat is opened with open.
      OWN_CALLS = %w[process_vm_readv process_vm_writev nanosleep open sched_getaffinity gettid].freeze

      # notes: the recorded lines; own: prefixes of hijack's own files
      # (its run and learn directories, its output); calls: [[name,
      # group], ...] from the run's counts; header: the first comment.
      def write(notes_file, out, header, command, calls, own)
        text = (File.open(notes_file) { |f| f.read } rescue "") || ""
        @file = nil
        @seen = {}
        pids = {}
        got = { "read" => {}, "write" => {}, "create" => {}, "exec" => {}, "connect" => {} }
        text.split("\n").each do |l|
          kind, what = l.split(" ", 2)
          next unless what
          if kind == "proc"
            pids[what] = true
            next
          end
          next if got[kind].nil? || ours?(what, own)
          got[kind][what] = true
        end
        program_notes(File.expand_path(command), got) if command && !command.empty?
        LOADER.each { |p| got["read"][p] = true if File.exist?(p.chomp("/**")) }
        read = group(got["read"].keys, [], true)
        write = group(got["write"].keys, got["create"].keys, false)
        nproc = pids.size
        nproc = 1 if nproc == 0
        s = "# hijack learn: #{header}, #{nproc} process#{nproc == 1 ? "" : "es"}\n"
        s << "# What the command did, as a policy: `hijack run -s THIS -- COMMAND` logs what it\n"
        s << "# would refuse; `hijack run --enforce -s THIS -- COMMAND` refuses it.\n"
        s << "Hijack::Sandbox.allow(\n"
        s << list("read", read)
        s << list("write", write)
        s << list("exec", got["exec"].keys.sort)
        s << list("connect", got["connect"].keys.sort)
        s << calls_list(calls)
        s << ")\n"
        File.open(out, "w") { |f| f.write(s) }
        nil
      end

      def program_notes(p, got)
        return unless p && File.file?(p)
        got["exec"][p] = true
        got["read"][p] = true
        line = (File.open(p) { |f| f.read(256) } rescue nil)
        return unless line && line.start_with?("#!")
        interp = line[2, line.size].split("\n")[0].to_s.strip.split(" ")[0]
        program_notes(interp, got) if interp && interp.start_with?("/") && !got["exec"][interp]
      end

      # hijack's: its run's directory (/tmp/hijack-XXXXXX, as mkdtemp
      # makes it), its library, the learn's own files
      def ours?(p, own)
        if p.start_with?("/tmp/hijack-")
          rest = p[12, p.size]
          name = rest.split("/")[0].to_s
          return true if name.size == 6 && name.bytes.all? { |b| (b >= 48 && b <= 57) || (b | 32 >= 97 && b | 32 <= 122) }
        end
        base = File.basename(p)
        return true if base.start_with?("libhijack") && base.end_with?(".so")
        own.any? { |o| p == o || p.start_with?(o + "/") }
      end

      # files (exact) and dirs (made trees) grouped: system trees, then any
      # directory where SEVERAL things are used, up to but not including
      # the top level ("/tmp", "/home" stay named in full below them).
      def group(files, dirs, reading)
        trees = {}
        exact = {}
        dirs.each { |d| trees[d] = true }
        files.each do |p|
          t = fixed_tree(p, reading)
          if t
            trees[t] = true
          else
            exact[p] = true
          end
        end
        changed = true
        while changed
          changed = false
          prune(exact, trees)
          count = {}
          (exact.keys + trees.keys).each do |p|
            next if p.start_with?("/dev/")
            d = File.dirname(p)
            (count[d] ||= {})[p] = true
          end
          count.each do |d, kids|
            next if kids.size < SEVERAL || d.count("/") < 2 || trees[d]
            trees[d] = true
            changed = true
          end
        end
        prune(exact, trees)
        (trees.keys.map { |t| t == "/" ? "/**" : t + "/**" } + exact.keys).sort
      end

      # a path whose tree is allowed whole, or nil
      def fixed_tree(p, reading)
        return "/dev/pts" if p.start_with?("/dev/pts/")
        return "/dev/shm" if p.start_with?("/dev/shm/")
        return p.chomp("/**") if p.end_with?("/**")
        top = p.split("/")[1]
        return "/proc" if top == "proc"	# /proc/PID and /proc/self differ from run to run
        reading && SYSTEM.include?(top) ? "/" + top : nil
      end

      # what a tree holds goes: paths under it, and trees under it
      def prune(exact, trees)
        under = lambda do |p|
          d = File.dirname(p)
          while true
            return true if trees[d] && d != p
            break if d == "/" || d == "."
            d = File.dirname(d)
          end
          false
        end
        exact.keys.each { |p| exact.delete(p) if trees[p] || under.call(p) }
        trees.keys.each { |t| trees.delete(t) if under.call(t) }
      end

      def list(name, items)
        return "  #{name}: [],\n" if items.empty?
        s = "  #{name}: [\n"
        items.each { |i| s << "    #{i.inspect},\n" }
        s << "  ],\n"
      end

      def calls_list(calls)
        groups = {}
        calls.each { |name, group| (groups[group] ||= []) << name }
        made = {}
        calls.each { |c| made[c[0]] = true }
        start = START_CALLS.reject { |n| made[n] }
        start.each { |n| made[n] = true }
        own = OWN_CALLS.reject { |n| made[n] }
        order = groups.keys.reject { |g| g == "-" }.sort.map { |g| ["%#{g}", groups[g]] }
        order << ["no strace class", groups["-"]] if groups["-"]
        order << ["every dynamically linked program's start (before hijack sees it)", start] unless start.empty?
        order << ["hijack's own, in the program (its hooks and watchdog)", own] unless own.empty?
        s = "  calls: [\n"
        order.each do |label, names|
          s << "    # #{label}\n"
          line = "   "
          names.uniq.sort.each do |n|
            item = " #{n.inspect},"
            if line.size + item.size > 96
              s << line << "\n"
              line = "   "
            end
            line << item
          end
          s << line << "\n" if line.size > 3
        end
        s << "  ]\n"
      end
    end
  end
end
