# Hijack::Sandbox: what a program may not do. A denied call fails with
# EACCES, so the program says what it says when the system refuses it.
module Hijack
  module Sandbox
    # Internet and raw sockets; a unix socket (syslog, nscd, D-Bus) is
    # local, and denying it would break more than it protects.
    NET_FAMILIES = [2, 10, 17] # AF_INET, AF_INET6, AF_PACKET
    # and sockets the program had before: by the address it gives
    NET_ADDRESSED = [:connect, :bind, :sendto]
    EXEC = [:execve, :execv, :execvp, :execvpe, :execl, :execlp, :execle,
            :posix_spawn, :posix_spawnp, :system]

    @denied = {}
    @allowed = { read: [], write: [], exec: [], connect: [], calls: [] }
    @kernel = []      # the rules `--enforce` hands the kernel: see plan
    @enforce = false

    def self.deny(*what)
      what.flatten.each do |w|
        w = w.to_sym
        next if @denied[w]
        @denied[w] = true
        @kernel << "deny #{w}"
        case w
        when :network
          Hijack.on(:socket) { |c| c.fail(:EACCES) if NET_FAMILIES.include?(c.domain) }
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
    # kernel holds it; without, each call it would refuse is logged.
    def self.allow(read: [], write: [], exec: [], connect: [], calls: [])
      { read: read, write: write, exec: exec, connect: connect, calls: calls }.each do |k, v|
        v = [v] unless v.is_a?(Array)
        v.each do |x|
          x = x.to_s
          misuse ArgumentError, "allow #{k}: #{x.inspect} is not one line" if x.include?("\n") || x.empty?
          @allowed[k] << x unless @allowed[k].include?(x)
        end
      end
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
    # rule a line ("deny network", "readonly /p", "write /tmp/**",
    # "enforce"), for src/enforce to install.
    def self.plan
      lines = @kernel.dup
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
  end
end
