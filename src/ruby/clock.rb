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
# speed other than 1, the file ones on the first moved wall clock):
# - readings: after clock_gettime (the realtime family: REALTIME,
#   REALTIME_COARSE, REALTIME_ALARM, TAI; the monotonic family: MONOTONIC,
#   MONOTONIC_RAW, MONOTONIC_COARSE, BOOTTIME, BOOTTIME_ALARM; CPU-time
#   clocks are left alone), gettimeofday, time (*tloc too), ftime and
#   timespec_get (glibc reads the clock inside them, where no hook sees);
# - absolute deadlines, which the program computed from its fake clock:
#   clock_nanosleep TIMER_ABSTIME, pthread_cond_timedwait (on the clock the
#   condition variable was made with), pthread_cond_clockwait,
#   sem_timedwait, sem_clockwait, the timed and clock forms of
#   pthread_mutex_*lock, pthread_rwlock_*lock and pthread_*join_np,
#   timerfd_settime and timer_settime with their ABSTIME flag. Each
#   becomes the real moment at which the fake clock will read it:
#   now + (deadline - fake now) / f. So a deadline one fake second ahead
#   is one real second ahead (1/f under xN) whatever the date, and one in
#   the fake past has passed. A frozen clock never gets to a deadline
#   ahead of it: the wait lasts the difference, at speed, as libfaketime
#   does; never for ever, and never not at all;
# - relative waits, shortened by f: sleep, usleep, nanosleep, relative
#   clock_nanosleep, alarm (whole seconds, rounded up), the timeouts of
#   select, pselect, poll, ppoll, epoll_wait, epoll_pwait(2) and
#   sigtimedwait, and the values and intervals of timers; what they
#   report as left (select's timeout, alarm's, timerfd_gettime,
#   timer_gettime) is lengthened by f;
# - file times: before utimensat and futimens (NULL times and UTIME_NOW
#   entries become the fake now), and after the stat family (see
#   install_files).
#
# Under the system-call layer (the default) the same hooks see the system
# calls: sleep, usleep and nanosleep are glibc's clock_nanosleep system
# call (scaled once, by its own hook), select is pselect6, sigtimedwait
# rt_sigtimedwait, the stat family newfstatat, futimens a utimensat with
# no path; raw clock_gettime, gettimeofday and time system calls are faked
# as libc's are (CLOCK_MONOTONIC_RAW included: a program has no unfaked
# clock left but the CPU-time ones and times(2)). The futex system call
# is left alone: the pthread and sem timed waits make it with the deadline
# their library-level hooks above already mapped, and mapping it again
# would map it twice; so a futex wait a program makes itself (not through
# those functions) keeps its real timeout.
#
# The hooks read the state from local variables they share with @set (an
# upvar costs one VM instruction, an instance variable more): clock_gettime
# is the hottest call there is. @set hands the same state to C
# (Hijack.__clock_set), and the readings' hooks are marked clock_reading:
# while one of them is the only hook on its call and nothing traces,
# counts or injects it, src/core/clockfast.c makes the reading in C with
# the same arithmetic and the VM is not entered; a user's hook on the call
# sends it here again.
module Hijack
  module Clock
    # the kernel stamps files from its coarse clock, up to a tick behind
    # the fine clock the run's start was read from
    COARSE_TICK = 0.02
    @er, @em = Hijack.epoch
    @frozen = nil   # Float: the wall clock stays there
    @base = @er     # the fake wall clock at the start of the run
    @f = 1.0        # speed
    @set = nil      # pushes the state into the hooks; nil until installed
    @sleeps = false # the sleep hooks are installed
    @files = false  # the stat hooks are installed

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
        if wall && !@files
          @files = true
          @install_files.call
        end
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
          Hijack.__clock_set(w, b, x, y)   # the same, for the readings made in C
        end

        # Relative waits, shortened by the speed: hooked only once a speed
        # other than 1 is set, so that a clock that is only moved costs
        # these calls nothing.
        #
        # Under the system-call layer, :sleep and :usleep stand for the
        # clock_nanosleep system call glibc makes for them, and :nanosleep
        # for it and the nanosleep system call: that one is the
        # clock_nanosleep hook's (below), so these act on their own calls
        # only, never shortening a wait twice.
        @install_sleeps = lambda do
          Hijack.on(:sleep) do |c|
            if scaled && c.name == :sleep
              c.delay(c.seconds / f)
              c.return(0)
            end
          end

          Hijack.on(:usleep) do |c|
            c.usec = (c.usec / f).round if scaled && c.name == :usleep
          end

          Hijack.on(:nanosleep) do |c|
            if scaled && c.name == :nanosleep && (r = c.req)
              c.req = r / f
            end
          end

          # timeouts in milliseconds; -1 (forever) and 0 stay
          Hijack.on(:poll, :epoll_wait, :epoll_pwait) do |c|
            if scaled && (ms = c.timeout) > 0
              ms = (ms / f).round
              c.timeout = ms < 1 ? 1 : ms
            end
          end

          # timeouts as a struct; NULL (forever) and zero stay
          Hijack.on(:select, :pselect, :ppoll, :epoll_pwait2, :sigtimedwait) do |c|
            if scaled && (t = c.timeout) && t > 0
              c.timeout = t / f
            end
          end

          # Linux writes what is left of select's timeout back: in fake time
          Hijack.after(:select) do |c|
            if scaled && (t = c.timeout) && t > 0
              c.timeout = t * f
            end
          end

          # alarm counts whole seconds: a shortened one rounds up, so that
          # it still rings (never cancels it, as 0 would)
          Hijack.on(:alarm) do |c|
            if scaled && (s = c.seconds) > 0
              c.seconds = (s / f).ceil
            end
          end

          Hijack.after(:alarm) do |c|
            c.result = (c.result * f).round if scaled && c.result > 0
          end

          # what is left of a timer, and its interval, in fake time
          Hijack.after(:timerfd_gettime, :timer_gettime) do |c|
            if scaled && (v = c.curr_value)
              c.curr_value = [v[0] * f, v[1] * f]
            end
          end

          Hijack.after(:timerfd_settime, :timer_settime) do |c|
            if scaled && (v = c.old_value)
              c.old_value = [v[0] * f, v[1] * f]
            end
          end
        end

        # clock ids (linux/time.h): REALTIME 0, MONOTONIC 1, (CPU time 2, 3),
        # MONOTONIC_RAW 4, REALTIME_COARSE 5, MONOTONIC_COARSE 6, BOOTTIME 7,
        # REALTIME_ALARM 8, BOOTTIME_ALARM 9, TAI 11; CPU clocks of other
        # processes and threads are negative
        Hijack.after(:clock_gettime, clock_reading: true) do |c|
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

        Hijack.after(:gettimeofday, clock_reading: true) do |c|
          if wall && (t = c.tv)
            c.tv = base + (t - er) * wf
          end
        end

        Hijack.after(:time, clock_reading: true) do |c|
          if wall && c.result != -1
            c.result = (base + (Time.now.to_f - er) * wf).floor
          end
        end

        # The real moment for a deadline on the program's clock id: when
        # that clock, as the program sees it, will read r.
        real_deadline = lambda do |id, r|
          if id == 0 || id == 5 || id == 8 || id == 11
            return r unless wall
            now = Time.now.to_f
            d = now + (r - (base + (now - er) * wf)) / f   # frozen: wf is 0
          elsif id == 1 || id > 3 && id < 10
            return r unless scaled
            d = em + (r - em) / f
          else
            return r   # CPU-time clocks run as they run
          end
          d > 0 ? d : 0.0   # long past; a negative time is EINVAL
        end

        # The clock a timer fd counts on (timerfd_create's clockid, in its
        # fdinfo); realtime when unknown.
        timerfd_clock = lambda do |fd|
          id = 0
          begin
            File.open("/proc/self/fdinfo/#{fd}") do |io|
              while (l = io.gets)
                id = l.split(":")[1].to_i if l.start_with?("clockid:")
              end
            end
          rescue StandardError
          end
          id
        end
        timers = {}   # timer_t => the clock timer_create gave it

        # A timer's new value: an absolute one mapped as a deadline, a
        # relative one and the interval shortened by the speed; 0 disarms.
        set_timer = lambda do |c, id|
          v = c.new_value
          return unless v
          interval, value = v
          if value > 0
            if c.flags & 1 != 0
              value = real_deadline.call(id, value)
              value = 1e-9 if value <= 0   # passed: fire now, not disarm
            elsif scaled
              value /= f
              value = 1e-9 if value <= 0
            end
          end
          if scaled && interval > 0
            interval /= f
            interval = 1e-9 if interval <= 0
          end
          c.new_value = [interval, value] if [interval, value] != v
        end

        Hijack.on(:clock_nanosleep) do |c|
          if (wall || scaled) && (r = c.request)
            if c.flags & 1 == 0   # relative
              c.request = r / f if scaled
            else                  # TIMER_ABSTIME: a deadline on the fake clock
              c.request = real_deadline.call(c.clockid, r)
            end
          end
        end

        Hijack.on(:pthread_cond_timedwait) do |c|
          if (wall || scaled) && (r = c.abstime)
            c.abstime = real_deadline.call(c.cond, r)
          end
        end

        Hijack.on(:pthread_cond_clockwait, :sem_clockwait, :pthread_mutex_clocklock,
                  :pthread_rwlock_clockrdlock, :pthread_rwlock_clockwrlock, :pthread_clockjoin_np) do |c|
          if (wall || scaled) && (r = c.abstime)
            c.abstime = real_deadline.call(c.clockid, r)
          end
        end

        Hijack.on(:sem_timedwait, :pthread_mutex_timedlock, :pthread_rwlock_timedrdlock,
                  :pthread_rwlock_timedwrlock, :pthread_timedjoin_np) do |c|
          if (wall || scaled) && (r = c.abstime)
            c.abstime = real_deadline.call(0, r)
          end
        end

        Hijack.on(:timerfd_settime) do |c|
          if wall || scaled
            set_timer.call(c, c.flags & 1 != 0 ? timerfd_clock.call(c.fd) : 0)
          end
        end

        Hijack.after(:timer_create) do |c|
          timers[c.timerid] = c.clockid if c.result == 0
        end

        Hijack.on(:timer_settime) do |c|
          set_timer.call(c, timers[c.timerid] || 0) if wall || scaled
        end

        # glibc reads the clock inside these through its own internal
        # calls, which no hook sees: the result is made fake here
        Hijack.after(:ftime, clock_reading: true) do |c|
          if wall && c.result == 0 && c.tp
            c.tp = base + (Time.now.to_f - er) * wf
          end
        end

        Hijack.after(:timespec_get, clock_reading: true) do |c|
          if wall && c.base == 1 && c.result == 1   # TIME_UTC
            c.ts = base + (Time.now.to_f - er) * wf
          end
        end

        # File times the kernel stamps (a write's mtime, a create's
        # ctime) are real; the program must see the fake ones. A stamp
        # that falls inside this run, between its real start and the real
        # now, was made by the kernel during the run and is shown as the
        # fake clock read then. Stamps from before the run and the ones a
        # program set itself (touch, cp -p: the fake time, already) are
        # shown as they are on disk. Frozen, a file still shows when
        # within the run it was written (t + seconds since the start), not
        # t for all: `make` compares files with each other, and files
        # written one after the other must keep their order for it to
        # rebuild the right ones (make warns of clock skew then: those
        # files are ahead of the frozen clock). What is on disk is left
        # alone: the kernel's stamps stay real for other programs. A stamp
        # set by the program that falls in the window too (an offset back
        # by less than the run has lasted) is taken for the kernel's.
        @install_files = lambda do
          Hijack.after(:stat, :lstat, :fstat, :fstatat, :statx) do |c|
            if wall && (ts = c.stat_times)
              # the real now without Time.now: mruby's takes glibc's tzset
              # lock (localtime_r), which the program may hold here (tzset
              # stats /etc/localtime): a deadlock
              now = er + (Hijack.monotonic - em)
              speed = wf == 0.0 ? 1.0 : wf
              moved = false
              ts = ts.map do |t|
                # (a file made at once must not seem older than the run)
                if t >= er - COARSE_TICK && t <= now
                  moved = true
                  base + [t - er, 0.0].max * speed
                end
              end
              c.stat_times = ts if moved
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
