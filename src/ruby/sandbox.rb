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

    def self.deny(*what)
      what.flatten.each do |w|
        w = w.to_sym
        next if @denied[w]
        @denied[w] = true
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

    # "host:port" or "[v6]:port", not a unix path ("/run/x", "@abstract")
    def self.inet?(addr)
      !addr.nil? && addr.include?(":") && !addr.start_with?("/", "@", "{")
    end
  end
end
