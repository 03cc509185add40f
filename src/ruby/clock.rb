# Hijack::Clock: a fake clock, the same in every process of the tree.
#
#   Hijack::Clock.freeze(t)     the wall clock stays at t
#   Hijack::Clock.travel(t)     the wall clock read t at the start of the run, and runs
#   Hijack::Clock.offset(secs)  the wall clock is secs ahead (behind if negative)
#   Hijack::Clock.scale(f)      time runs f times faster: the wall clock and the
#                               monotonic clocks, and sleeps last 1/f as long
#   Hijack::Clock.reset         the real clock again
#   Hijack::Clock.now           the fake wall clock now (Float seconds)
#   Hijack::Clock.monotonic     the fake monotonic clock now
#
# t is Numeric (seconds since the epoch), a Time, or "YYYY-MM-DD HH:MM:SS"
# (local time; "YYYY-MM-DD" and "YYYY-MM-DD HH:MM" too). Each call
# re-configures; freeze, travel and offset replace one another and keep the
# speed, reset clears both.
#
# Everything hangs on Hijack.epoch (the run's start, the same in every
# process), never on a process's own start, so parent and children agree:
#   wall      = base + (real - epoch_real) * f   (base: t for travel,
#                                                 epoch_real + secs for offset)
#   frozen    = t
#   monotonic = epoch_mono + (real - epoch_mono) * f   (never offset nor frozen)
#
# Hooks, installed on first configuration (and the sleep ones on the first
# speed other than 1): after clock_gettime (the realtime family: REALTIME,
# REALTIME_COARSE, REALTIME_ALARM, TAI; the monotonic family: MONOTONIC,
# MONOTONIC_RAW, MONOTONIC_COARSE, BOOTTIME, BOOTTIME_ALARM; CPU-time
# clocks are left alone), gettimeofday and time (*tloc too); before
# clock_nanosleep (a relative request shortened by f; a TIMER_ABSTIME
# deadline, which the program computed from the fake clock, mapped back to
# the real one), sleep, usleep, nanosleep, and the timeouts of poll and
# epoll_wait (shortened by f); before utimensat and futimens (NULL times
# and UTIME_NOW entries become the fake now).
#
# The hooks read the state from local variables they share with @set (an
# upvar costs one VM instruction, an instance variable more): clock_gettime
# is the hottest call there is.
module Hijack
  module Clock
    @er, @em = Hijack.epoch
    @frozen = nil   # Float: the wall clock stays there
    @base = @er     # the fake wall clock at the start of the run
    @f = 1.0        # speed
    @set = nil      # pushes the state into the hooks; nil until installed
    @sleeps = false # the sleep hooks are installed

    class << self
      def freeze(t)
        @frozen = seconds(t)
        configure
      end

      def travel(t)
        @frozen = nil
        @base = seconds(t)
        configure
      end

      def offset(secs)
        unless secs.is_a?(Numeric) && secs.to_f.finite?
          bad "Hijack::Clock.offset takes seconds (Numeric), got #{secs.inspect}"
        end
        @frozen = nil
        @base = @er + secs.to_f
        configure
      end

      def scale(f)
        unless f.is_a?(Numeric) && f > 0 && f.to_f.finite?
          bad "Hijack::Clock.scale takes a factor > 0, got #{f.inspect}"
        end
        @f = f.to_f
        configure
      end

      def reset
        @frozen = nil
        @base = @er
        @f = 1.0
        configure
      end

      # the fake wall clock for a real time (now by default), Float seconds
      def now(real = Time.now.to_f)
        @frozen || @base + (real - @er) * @f
      end

      # the fake monotonic clock for a real monotonic time (now by default)
      def monotonic(real = Hijack.monotonic)
        @em + (real - @em) * @f
      end

      # Numeric, Time or "YYYY-MM-DD[ HH:MM[:SS]]" (local time) to Float seconds
      def seconds(t)
        return t.to_f if t.is_a?(Numeric) || t.is_a?(Time)
        unless t.is_a?(String)
          bad "a time is Numeric, a Time or \"YYYY-MM-DD HH:MM:SS\", got #{t.inspect}"
        end
        s = t.strip
        s = s.sub("T", " ") if s.size > 10 && s[10] == "T"
        date, time, extra = s.split(" ")
        d = date ? date.split("-", -1) : []
        c = time ? time.split(":", -1) : []
        ok = extra.nil? && d.size == 3 && d[0].size == 4 && d[1].size == 2 && d[2].size == 2 &&
             (c.size == 0 || c.size == 2 || c.size == 3) && c.all? { |x| x.size == 2 } &&
             (d + c).all? { |x| x.each_char.all? { |ch| ch >= "0" && ch <= "9" } }
        if ok
          y, mo, dd = d.map(&:to_i)
          h, mi, sec = c.map(&:to_i)
          h ||= 0
          mi ||= 0
          sec ||= 0
          ok = mo >= 1 && mo <= 12 && dd >= 1 && dd <= 31 && h <= 23 && mi <= 59 && sec <= 60
        end
        if ok
          v = Time.local(y, mo, dd, h, mi, sec)
          ok = v.day == dd   # not February 30th, moved into March
        end
        bad "not a time: #{t.inspect} (want \"YYYY-MM-DD HH:MM:SS\", local time)" unless ok
        v.to_f
      end

      private

      # an ArgumentError that names the caller's line, not ours
      def bad(msg)
        raise ArgumentError, msg
      rescue ArgumentError => e
        bt = e.backtrace.reject { |l| l.start_with?("hijack/clock.rb:") }
        e.set_backtrace(bt) unless bt.empty?
        raise e
      end

      def configure
        install unless @set
        if @f != 1.0 && !@sleeps
          @sleeps = true
          @install_sleeps.call
        end
        frozen = !@frozen.nil?
        wall = frozen || @base != @er || @f != 1.0
        # frozen is a speed of 0 from t
        @set.call(wall, frozen ? @frozen : @base, frozen ? 0.0 : @f, @f)
        self
      end

      def install
        er = @er
        em = @em
        wall = false    # the wall clock is not the real one
        base = er       # the fake wall clock at the start of the run
        wf = 1.0        # the wall clock's speed (0 when frozen)
        f = 1.0         # the speed of the monotonic clocks and of sleeps
        scaled = false  # f != 1.0 (`!=` is a method call, a boolean is not)
        @set = lambda do |w, b, x, y|
          wall = w
          base = b
          wf = x
          f = y
          scaled = y != 1.0
        end

        # Relative waits, shortened by the speed: hooked only once a speed
        # other than 1 is set, so that a clock that is only moved costs
        # these calls nothing.
        @install_sleeps = lambda do
          Hijack.on(:sleep) do |c|
            if scaled
              c.delay(c.seconds / f)
              c.return(0)
            end
          end

          Hijack.on(:usleep) do |c|
            c.usec = (c.usec / f).round if scaled
          end

          Hijack.on(:nanosleep) do |c|
            if scaled && (r = c.req)
              c.req = r / f
            end
          end

          # timeouts in milliseconds; -1 (forever) and 0 stay
          Hijack.on(:poll, :epoll_wait) do |c|
            if scaled && (ms = c.timeout) > 0
              ms = (ms / f).round
              c.timeout = ms < 1 ? 1 : ms
            end
          end
        end

        # clock ids (linux/time.h): REALTIME 0, MONOTONIC 1, (CPU time 2, 3),
        # MONOTONIC_RAW 4, REALTIME_COARSE 5, MONOTONIC_COARSE 6, BOOTTIME 7,
        # REALTIME_ALARM 8, BOOTTIME_ALARM 9, TAI 11; CPU clocks of other
        # processes and threads are negative
        Hijack.after(:clock_gettime) do |c|
          id = c.clockid
          if id == 0 || id == 5 || id == 8
            if wall && (t = c.tp)
              c.tp = base + (t - er) * wf
            end
          elsif id == 1 || id > 3 && id < 10
            if scaled && (t = c.tp)
              c.tp = em + (t - em) * f
            end
          elsif id == 11 && wall && (t = c.tp)
            tai = (t - Time.now.to_f).round   # how far TAI runs ahead of UTC
            c.tp = base + (t - tai - er) * wf + tai
          end
        end

        Hijack.after(:gettimeofday) do |c|
          if wall && (t = c.tv)
            c.tv = base + (t - er) * wf
          end
        end

        Hijack.after(:time) do |c|
          if wall && c.result != -1
            c.result = (base + (Time.now.to_f - er) * wf).floor
          end
        end

        Hijack.on(:clock_nanosleep) do |c|
          if (wall || scaled) && (r = c.request)
            if c.flags & 1 == 0   # relative
              c.request = r / f if scaled
            else                  # TIMER_ABSTIME: a deadline on the fake clock
              id = c.clockid
              if id == 0 || id == 5 || id == 8 || id == 11
                if wf == 0.0      # frozen: wait the difference, at speed
                  c.request = Time.now.to_f + (r - base) / f
                elsif wall
                  c.request = er + (r - base) / wf
                end
              elsif scaled && (id == 1 || id > 3 && id < 10)
                c.request = em + (r - em) / f
              end
            end
          end
        end

        Hijack.on(:utimensat, :futimens) do |c|
          if wall
            t = c.times
            if t.nil?
              n = base + (Time.now.to_f - er) * wf
              c.times = [n, n]
            elsif t[0] == :now || t[1] == :now
              n = base + (Time.now.to_f - er) * wf
              c.times = t.map { |x| x == :now ? n : x }
            end
          end
        end
      end
    end
  end
end
