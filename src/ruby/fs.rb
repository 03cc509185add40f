# Hijack::FS: the filesystem a program sees, changed path by path.
#
#   Hijack::FS.redirect("/etc/app" => "/tmp/app-fixture")  # a tree served from another
#   Hijack::FS.readonly("/srv/data")      # writes, creates, renames, deletes: EROFS
#   Hijack::FS.hide("/home/me/.ssh")      # ENOENT, and absent from listings
#   Hijack::FS.file("/etc/motd", "hi\n")  # a read-only file with that content
#
# Every call that takes a path is seen (both paths of rename and link,
# symlink's link path but not its target, exec paths). The hooks' path:
# filters are the configured paths, matched in C, so that calls on other
# paths never enter Ruby. A path is taken as the program names it, made
# absolute against its cwd or dirfd, "." and ".." folded; then, the
# longest configured path first:
#   hidden            -> ENOENT
#   under readonly    -> noted: the call fails with EROFS if it writes
#   a virtual file    -> served from its private copy (read-only); done
#   redirected        -> FROM/rest becomes TO/rest, and that path goes
#                        through the same steps (a redirect into another
#                        redirected tree is followed, as a symlink is;
#                        more than 16 steps is ELOOP; a TO inside its
#                        FROM is not redirected again)
# Doing it again on the result changes nothing more, so a call that the
# hooks of several FS calls match comes out the same. The trees are
# matched by name, as the program writes them, not through symlinks.
# A call on its dirfd with no path (newfstatat with AT_EMPTY_PATH, which
# is what fstat is under the system-call layer; utimensat with none, which
# is futimens) is on a file already open: never redirected nor hidden by
# path; a read-only tree still refuses to change it, as the fd calls.
#
# The hooks of the groups below are marked (fs_map:), and the table of
# configured paths is handed to C (Hijack.__fs_set, in sync): while FS's
# hooks are all the hooks a call matched, src/core/fsfast.c does what
# apply does without entering the VM; a user's hook on the call sends it
# here, and so does a path served by FS.file (its copy is made here).
module Hijack
  module FS
    P = [[:path, :path=]].freeze
    TWO = [[:oldpath, :oldpath=], [:newpath, :newpath=]].freeze
    # [what the calls do with their paths, the calls, their path arguments]:
    # one hook per group, so that a hook knows its calls without a lookup
    GROUPS = [
      [:open, [:open, :openat], P],
      [:creat, [:creat], P],
      [:fopen, [:fopen, :freopen], P],
      [:write, [:unlink, :unlinkat, :rmdir], P],
      [:change, [:truncate, :chmod, :fchmodat, :chown, :lchown, :fchownat, :utimensat], P],
      [:write, [:rename, :renameat, :renameat2], TWO],
      [:create, [:mkdir, :mkdirat], P],
      [:create, [:symlink, :symlinkat], [[:linkpath, :linkpath=]]],
      [:link, [:link, :linkat], TWO],
      [:access, [:access, :faccessat], P],
      # openat2: its flags are in a struct no hook reads, so it is hidden and
      # redirected as a read; a read-only tree holds its writes under --enforce
      [:read, [:openat2, :stat, :lstat, :fstatat, :statx, :readlink, :readlinkat, :opendir, :chdir,
               :execve, :execv, :execl, :execle, :posix_spawn], P],
      # a name without a slash is looked up in PATH: not a path
      [:search, [:execvp, :execvpe, :execlp, :posix_spawnp], [[:file, :file=]]],
    ].freeze
    WRITE_GROUPS = GROUPS.reject { |g| g[0] == :read || g[0] == :search }.freeze
    # Calls that change a file through an fd. An fd open for writing under
    # a read-only tree cannot come from a hooked open (it failed), so
    # write() is left alone; but one open for reading can still have its
    # mode, owner, times or size changed.
    FD_WRITE_CALLS = [:fchmod, :fchown, :futimens, :ftruncate, :fallocate].freeze
    EXEC_CALLS = [:execve, :execv, :execvp, :execvpe, :execl, :execlp, :execle].freeze
    O_ACCMODE = 3
    O_CREAT = 0o100
    O_EXCL = 0o200
    O_TRUNC = 0o1000
    O_TMPFILE = 0o20000000
    W_OK = 2
    MAX_HOPS = 16
    TMP = "/tmp/.hijack-file-"	# copies made without the launcher

    # Every configured path: [path, path + "/", type, payload, bytes to
    # cut for a rewrite], the longest first. type: :hide, :ro, :file
    # (payload [content, mode]) or :redirect (payload TO, and then TO + "/"
    # when TO is inside FROM, for TO's own paths are left as they are).
    @roots = []
    @hidden_names = {}   # basename => [its directory, ...], for listings
    @watched = []        # [path, path + "/", all calls (or writes only)] that hooks see
    @fd_watched = []     # read-only paths whose fd calls are hooked
    @ro_fd_times = false # the hook of utimensat on an fd (futimens) is there
    @listing = false     # the readdir hook is there
    @copying = false     # a virtual file exists
    @copies_watched = false  # a hook may see copies' paths: leave them as they are
    @copy_roots = [TMP]
    @copies = {}         # pid => {virtual path => copy}, without the launcher
    @shared = {}         # virtual path => copy in the run's directory
    @run_dir = nil
    @seq = 0

    class << self
      # redirect("/from" => "/to", ...): the file or tree FROM is served
      # from TO. A TO inside FROM ("/home/me" => "/home/me/sandbox") stays
      # itself: only the rest of FROM is served from it.
      def redirect(map)
        misuse ArgumentError, "redirect takes FROM => TO pairs" unless map.is_a?(Hash) && !map.empty?
        added = map.map do |from, to|
          e = entry(from, :redirect, norm(to))
          t = e[3]
          e << (t == e[0] || t.start_with?(e[1]) ? (t == "/" ? "/" : t + "/") : nil)
        end
        add(added)
        added.each do |e|
          next if served_from(e[3])
          @roots -= added
          sync
          misuse ArgumentError, "redirect #{e[0]} => #{e[3]}: a loop of redirects"
        end
        watch(GROUPS, added)
      end

      # readonly(*paths): writes, creates, renames and deletes under each
      # fail with EROFS.
      def readonly(*paths)
        added = roots(paths, :ro)
        add(added)
        added.each { |e| Hijack::Sandbox.kernel_rule(:readonly, e[0]) }
        counted = watch(WRITE_GROUPS, added)
        fresh = added.reject { |e| @fd_watched.any? { |w| e[0] == w[0] || e[0].start_with?(w[1]) } }
        unless fresh.empty?
          @fd_watched.concat(fresh)
          Hijack.on(*FD_WRITE_CALLS, path: globs(fresh), report: counted && fresh.size == added.size) { |call| call.fail(:EROFS) }
        end
        unless @ro_fd_times
          @ro_fd_times = true
          # futimens is the utimensat system call with no path, on its fd
          # (what the system-call layer sees, and a program may make it
          # so): the path filter has no path to match, so it is told here
          Hijack.on(:utimensat, report: false) do |call|
            if call.path.nil? && (q = call.fd_path) && under(:ro, q)
              call.fail(:EROFS)
            end
          end
        end
        nil
      end

      # hide(*paths): each appears not to exist: ENOENT for it and under
      # it, and it is absent from the listing of its directory.
      def hide(*paths)
        added = roots(paths, :hide)
        add(added)
        added.each { |e| Hijack::Sandbox.kernel_rule(:hide, e[0]) }
        added.each do |e|
          (@hidden_names[File.basename(e[0])] ||= []) << File.dirname(e[0]) unless e[0] == "/"
        end
        watch(GROUPS, added)
        unless @listing
          @listing = true
          # readdir has no path argument for a filter: each entry comes here
          Hijack.after(:readdir) { |call| call.retry if listed_hidden?(call) }
        end
        nil
      end

      # file(path, content, mode: 0600), or file(path => content, ...):
      # a read-only file with that content. It is written to a private
      # copy the first time it is needed (see copy) and every call on path
      # is sent there, so that open, stat, fstat, read and exec agree.
      # mode: the copy's permissions (0755 to run it). Many files are best
      # given in one call: it makes one set of hooks for them all.
      def file(path, content = nil, mode: 0o600)
        files = path.is_a?(Hash) ? path : { path => content }
        misuse ArgumentError, "file takes a path and its content" if files.empty?
        added = []
        files.each do |p, c|
          p = norm(p)
          payload = [c.to_s, mode.to_i]
          old = @roots.find { |e| e[2] == :file && e[0] == p } || added.find { |e| e[0] == p }
          if old	# new content: a new copy
            old[3] = payload
            forget(p)
          else
            added << entry(p, :file, payload)
          end
        end
        add(added)
        watch(GROUPS, added)
        unless @copying
          @copying = true
          Hijack.at_exit { remove_copies }
          # housekeeping, not the rule: an exec says nothing of the files
          Hijack.on(*EXEC_CALLS, report: false) { |call| before_exec(call) }
        end
        nil
      end

      # The hook of the calls of one group (kind, their path arguments).
      def apply(call, kind, args)
        # under the system-call layer, :creat stands for the openat system
        # call too (glibc's creat makes it): that is an open, with its flags
        kind = :open if kind == :creat && call.name != :creat
        i = 0
        while i < args.size
          a = args[i]
          i += 1
          p = call.abspath(a[0])
          next unless p
          raw = call.__send__(a[0])
          if raw.nil? || raw.empty?
            # a call on its dirfd (newfstatat with AT_EMPTY_PATH is the
            # system call of fstat, utimensat with no path futimens'): the
            # fd is open already, so only a read-only tree's refusal of
            # changes applies, as to the fd calls
            return call.fail(:EROFS) if kind == :change && under(:ro, p) && writes?(kind, call, a[0], p)
            next
          end
          next if kind == :search && !raw.include?("/")
          next if @copies_watched && copy_path?(p)
          q = p
          ro = false
          hops = 0
          while true
            hit = nil
            roots = @roots
            j = 0
            while j < roots.size
              e = roots[j]
              j += 1
              next unless q.start_with?(e[1]) || q == e[0]
              t = e[2]
              if t == :hide
                return call.fail(:ENOENT)
              elsif t == :ro
                ro = true
              else
                hit ||= e unless e[5] && (q.start_with?(e[5]) || q == e[3])	# the longest
              end
            end
            break unless hit
            if hit[2] == :file
              q = join(copy(hit), q, hit)
              ro = true
              break
            end
            return call.fail(:ELOOP) if (hops += 1) > MAX_HOPS
            q = join(hit[3], q, hit)
          end
          if ro && kind != :read && kind != :search
            # (the common case first: an open for reading)
            unless kind == :open && call.flags & 0o20001103 == 0	# O_ACCMODE|O_CREAT|O_TRUNC|O_TMPFILE
              return call.fail(:EROFS) if writes?(kind, call, a[0], q)
            end
          end
          next if q.equal?(p)
          q += "/" if raw.getbyte(-1) == 47 && q.getbyte(-1) != 47
          call.__send__(a[1], q)
        end
        nil
      end

      private

      # An error in the script's use of FS, reported at the script's line.
      def misuse(cls, msg)
        e = cls.new(msg)
        bt = caller.reject { |l| l.start_with?("hijack/fs.rb") }
        e.set_backtrace(bt) unless bt.empty?
        raise e
      end

      # A path as path: filters take it: a file or a directory (all under
      # it); "/x/*" and "/x/**" name the tree /x too. Other globs cannot
      # be served or rewritten: refused, unless a file has that name.
      def norm(path)
        misuse ArgumentError, "a path is a String, got #{path.inspect}" unless path.is_a?(String) && !path.empty?
        p = File.expand_path(path)
        while p.size > 1 && (p.end_with?("/*") || p.end_with?("/**"))
          p = p[0, p.rindex("/")]
          p = "/" if p.empty?
        end
        if (p.include?("*") || p.include?("?") || p.include?("[")) && !exists?(p)
          misuse ArgumentError, "#{path.inspect}: takes a file or directory (which covers all under it), not a glob"
        end
        p
      end

      def entry(path, type, payload = nil)
        path = norm(path)
        [path, path == "/" ? "/" : path + "/", type, payload, path == "/" ? 0 : path.bytesize]
      end

      def roots(paths, type)
        paths = paths.flatten
        misuse ArgumentError, "name at least one path" if paths.empty?
        paths.map { |p| entry(p, type) }
      end

      # the longest path first; of the same path, a file before a redirect
      def add(entries)
        @roots = (@roots + entries).sort do |x, y|
          x[0].bytesize == y[0].bytesize ? (x[2] == :file ? -1 : y[2] == :file ? 1 : 0) : y[0].bytesize <=> x[0].bytesize
        end
        sync
      end

      # The table as apply reads it, for src/core/fsfast.c, which applies
      # the hooks of watch in C while they are all a call matched
      def sync
        Hijack.__fs_set(@roots.map { |e| [e[0], e[2], e[2] == :redirect ? e[3] : nil, !e[5].nil?, e[4]] },
                        @copies_watched, @copy_roots)
      end

      # Globs for C's filter (fnmatch, where '*' crosses '/'): the path
      # itself and everything under it.
      def globs(entries)
        entries.flat_map do |e|
          g = e[0].each_char.map { |c| "*?[\\".include?(c) ? "\\" + c : c }.join
          g == "/" ? ["/*"] : [g, g + "/*"]
        end
      end

      # Hooks for the groups' calls on entries' paths, but for the paths
      # that earlier hooks already see (each hook costs a filter on every
      # call of its group, and a call takes 64 hooks at most). True when
      # every entry got hooks of its own, so that they can be reported.
      def watch(groups, entries)
        all = entries.size
        entries = entries.reject do |e|
          @watched.any? { |w| (w[2] || groups.equal?(WRITE_GROUPS)) && (e[0] == w[0] || e[0].start_with?(w[1])) }
        end
        # some of this call's paths are another call's hooks' now: its
        # own hooks cannot tell whether it fired, so it is not reported
        counted = entries.size == all
        return counted if entries.empty?
        entries.each { |e| @watched << [e[0], e[1], groups.equal?(GROUPS)] }
        @copies_watched ||= entries.any? { |e| "/tmp/".start_with?(e[1]) || e[0].start_with?("/tmp/hijack-") || e[0].start_with?(TMP) }
        sync
        g = globs(entries)
        begin
          groups.each do |kind, calls, args|
            Hijack.on(*calls, path: g, report: counted, fs_map: kind, fs_args: args.map(&:first)) { |call| apply(call, kind, args) }
          end
        rescue RuntimeError => e
          misuse e.class, "#{e.message}: each FS call makes its own hooks, and a call takes 64; " \
                         "name many paths in one call (FS.file(path => content, ...))"
        end
        counted
      end

      def copy_path?(q)
        r = @copy_roots
        q.start_with?(r[0]) || (r.size > 1 && q.start_with?(r[1]))
      end

      # TO + what follows the configured path e in q
      def join(to, q, e)
        rest = q.byteslice(e[4], q.bytesize)
        rest.empty? || rest == "/" ? to : to == "/" ? rest : to + rest
      end

      def under(type, q)
        @roots.find do |e|
          e[2] == type && (q.start_with?(e[1]) || q == e[0]) && !(e[5] && (q.start_with?(e[5]) || q == e[3]))
        end
      end

      # Where a path is served from, following redirects only; nil for a loop.
      def served_from(q)
        MAX_HOPS.times do
          r = under(:redirect, q)
          return q unless r
          q = join(r[3], q, r)
        end
        nil
      end

      def exists?(q)
        File.exist?(q) || File.symlink?(q)
      end

      # As the kernel has it, only regular files, directories and symlinks
      # are read-only on a read-only filesystem: devices, pipes and sockets
      # are written as usual (--readonly / leaves /dev/null writable).
      def solid?(q)
        File.file?(q) || File.directory?(q) || File.symlink?(q)
      end

      # Whether the call, on its path argument a (served from q) under a
      # read-only tree, would change something; the errors that the kernel
      # gives before EROFS (ENOENT, EEXIST) are left to the real call.
      def writes?(kind, call, a, q)
        case kind
        when :write then true
        when :change then exists?(q)	# else ENOENT, as the kernel looks first
        when :open, :creat
          flags = kind == :creat ? O_CREAT | O_TRUNC | 1 : call.flags
          return true if flags & O_TMPFILE == O_TMPFILE
          open_writes?(flags & O_ACCMODE != 0 || flags & O_TRUNC != 0, flags & O_CREAT != 0, flags & O_EXCL != 0, q)
        when :fopen
          m = call.mode || "r"
          open_writes?(m.include?("w") || m.include?("a") || m.include?("+"),
                       m.include?("w") || m.include?("a"), m.include?("x"), q)
        when :access
          call.mode & W_OK != 0 && solid?(q)
        when :create	# mkdir, symlink
          !exists?(q)
        when :link
          a == :oldpath || !exists?(q)
        else
          false
        end
      end

      def open_writes?(write, create, excl, q)
        return false unless write || create
        return create unless File.exist?(q)
        return false if create && excl
        write && solid?(q)
      end

      # Whether a readdir entry is a hidden path of the listed directory
      # (which may be served from elsewhere).
      def listed_hidden?(call)
        name = call.entry
        return false unless name
        dirs = @hidden_names[name]
        return false unless dirs
        dir = call.fd_path
        return false unless dir
        dir = dir.chomp("/") if dir.size > 1	# opendir("/a/b/") is remembered so
        dirs.any? { |d| d == dir || served_from(d) == dir }
      end

      # ---- virtual files' copies ----
      # Under the launcher, one copy per content serves the whole process
      # tree, in the run's private directory, which the launcher removes
      # at the end. Without it, each process writes its own in /tmp and
      # removes it at exit and before an exec (one that ends with _exit,
      # as dash does, leaves its copy behind).

      def copy(f)
        dir = @run_dir.nil? ? run_dir : @run_dir
        if dir
          c = @shared[f[0]] ||= (shared_copy(dir, *f[3]) rescue nil)
          return c if c	# else the run is over for us: our own copy
        end
        pid = Hijack.pid
        (@copies[pid] ||= {})[f[0]] ||= write_copy("#{TMP}#{pid}-", *f[3])
      end

      # The launcher's directory for this run (0700, emptied and removed
      # when the run ends), or nil.
      def run_dir
        return @run_dir unless @run_dir.nil?
        @run_dir = Hijack.run_dir || false
        @copy_roots << @run_dir + "/hj-vfile-" if @run_dir
        sync
        @run_dir
      end

      # A copy named by its content: written once for the tree (by the
      # first process that needs it, renamed into place whole), and read
      # back once by each other process, to be sure of it.
      def shared_copy(dir, content, mode)
        base = "#{dir}/hj-vfile-#{content.hash.abs}-#{content.bytesize}-#{mode.to_s(8)}"
        name = base
        n = 0
        while File.exist?(name)
          return name if (File.open(name) { |io| io.read } rescue nil) == content
          name = "#{base}+#{n += 1}"	# another content with the same hash
        end
        File.rename(write_copy("#{dir}/hj-part-#{Hijack.pid}-", content, mode), name)
        name
      end

      def write_copy(prefix, content, mode)
        tries = 0
        begin
          @seq += 1
          name = "#{prefix}#{@seq}-#{(Hijack.monotonic * 1e9).to_i % 1000000007}"
          io = File.open(name, File::WRONLY | File::CREAT | File::EXCL, 0600)
        rescue StandardError
          retry if (tries += 1) < 5
          raise
        end
        begin
          io.write(content)
        ensure
          io.close
        end
        File.chmod(mode, name) if mode != 0600
        name
      end

      def forget(path)
        @shared.delete(path)
        own = @copies[Hijack.pid]
        t = own && own.delete(path)
        File.unlink(t) if t && File.exist?(t)
      end

      def remove_copies
        own = @copies.delete(Hijack.pid)
        own.each_value { |t| File.unlink(t) if File.exist?(t) } if own
      end

      # exec replaces the process without at_exit: this process's copies
      # go first, but for the one being run (a failed exec makes them again).
      def before_exec(call)
        own = @copies[Hijack.pid]
        return unless own	# none, or a vfork child's parent's
        search = call.name == :execvp || call.name == :execvpe || call.name == :execlp
        target = call.__send__(search ? :file : :path)
        target = call.abspath(search ? :file : :path) if target && target.include?("/")
        own.delete_if do |v, t|
          next false if target && (target == v || target == t)
          File.unlink(t) if File.exist?(t)
          true
        end
      end
    end
  end
end
