# A script's own output: puts, print, p, pp, printf, warn, $stdout,
# $stderr, STDOUT and STDERR all write to the trace output (stderr, or
# the -o file), line by line with the trace's pid prefix; never to the
# program's descriptors. A script that wants those opens them itself
# (IO.new(1, "w")) and reassigns $stdout.
module Hijack
  class Output
    def initialize(name)
      @name = name
    end

    def write(*args)
      n = 0
      args.each do |a|
        s = a.to_s
        Hijack.__out(s)
        n += s.bytesize
      end
      n
    end

    def print(*args)
      args.each { |a| Hijack.__out(a.to_s) }
      nil
    end

    def puts(*args)
      Hijack.__out(Output.lines(args))
      nil
    end

    def printf(*args)
      Hijack.__out(format(*args)) unless args.empty?
      nil
    end

    def <<(a)
      Hijack.__out(a.to_s)
      self
    end

    def putc(c)
      Hijack.__out(c.is_a?(Integer) ? (c & 0xff).chr : c.to_s[0, 1])
      c
    end

    def syswrite(s) = write(s)
    def flush = self
    def fsync = 0
    def sync = true
    def sync=(v)
      v
    end
    def tty? = false
    def isatty = false
    def closed? = false
    def fileno = nil
    def inspect = "#<Hijack::Output #{@name}: the trace output>"

    # puts's text: arrays flattened, one line each, "\n" added where missing
    def self.lines(args)
      return "\n" if args.empty?
      out = ""
      args.each do |a|
        if a.is_a?(Array)
          out << (a.empty? ? "\n" : lines(a))
        else
          s = a.nil? ? "" : a.to_s
          out << s
          out << "\n" unless s.end_with?("\n")
        end
      end
      out
    end
  end
end

$stdout = Hijack::Output.new("stdout")
$stderr = Hijack::Output.new("stderr")
Object.send(:remove_const, :STDOUT) if Object.const_defined?(:STDOUT)
Object.send(:remove_const, :STDERR) if Object.const_defined?(:STDERR)
STDOUT = $stdout
STDERR = $stderr

module Kernel
  def print(*args) = $stdout.print(*args)
  def puts(*args) = $stdout.puts(*args)
  def putc(c) = $stdout.putc(c)

  def printf(*args)
    return nil if args.empty?
    return args.shift.printf(*args) if args[0].respond_to?(:printf) && !args[0].is_a?(String)
    $stdout.printf(*args)
  end

  # p and pp are defined in C (recipes.c): a Ruby `p` here loses the
  # file and line of errors raised on entering a method

  def warn(*msgs, **opts)
    $stderr.puts(*msgs) unless msgs.empty?
    nil
  end
end
