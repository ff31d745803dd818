# The probe a position runs (perl-base only: every Debian or Ubuntu image has it).
# Arguments: CONNECT_TIMEOUT LOOKUP_TIMEOUT (seconds), then INDEX ADDRESS PORT per attempt.
# Prints one line per attempt, in order: INDEX PHASE RESULT ELAPSED_US, where PHASE is lookup or
# connect and RESULT is 0 (resolved / connected), an errno or EAI_ name, or `pending` (no answer
# within the deadline). The harness decides what each means; this script only reports.
#
# Every connection is started at once, non-blocking, from this one process: the kernel sends the
# SYNs and completes handshakes on its own, so a slow start of this process cannot turn a
# reachable peer into a timeout. Names are looked up concurrently, one forked child each.
use strict;
use warnings;
use Socket qw(:addrinfo SOCK_STREAM SOL_SOCKET SO_ERROR);
use Errno ();
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use POSIX ();

$| = 1;
my ($connect_timeout, $lookup_timeout, @rest) = @ARGV;
my @attempts;
push @attempts, { i => shift @rest, via => shift @rest, port => shift @rest } while @rest;

# Seconds since boot, 10 ms resolution (Time::HiRes is not in perl-base).
sub now { open(my $f, '<', '/proc/uptime') or die "cannot read /proc/uptime: $!\n"; my ($t) = split ' ', scalar <$f>; return $t }
sub us { return int($_[0] * 1_000_000) }
sub errno_name { my $code = shift; local $! = $code; my ($name) = grep { $!{$_} } keys %!; return $name // "errno$code" }
my %eai;
for my $name (qw(EAI_NONAME EAI_AGAIN EAI_FAIL EAI_NODATA EAI_ADDRFAMILY EAI_FAMILY EAI_SERVICE EAI_SYSTEM EAI_MEMORY EAI_BADFLAGS)) {
    my $value = eval { Socket->can($name)->() };
    $eai{$value} = $name if defined $value;
}
sub numeric { my ($host, $port) = @_; my ($err, @ai) = getaddrinfo($host, $port, { socktype => SOCK_STREAM, flags => AI_NUMERICHOST }); return $err ? undef : $ai[0] }

# A connection started now, non-blocking: finished at once (the line is set) or watched.
my @watch;
sub start_connect {
    my ($a, $host) = @_;
    my $ai = numeric($host, $a->{port}) or return $a->{line} = "lookup unusable-address 0";
    socket(my $s, $ai->{family}, SOCK_STREAM, 0) or return $a->{line} = "connect " . errno_name($! + 0) . " 0";
    fcntl($s, F_SETFL, fcntl($s, F_GETFL, 0) | O_NONBLOCK) or die "fcntl: $!\n";
    $a->{t0} = now();
    return $a->{line} = "connect 0 0" if connect($s, $ai->{addr});
    return $a->{line} = "connect " . errno_name($! + 0) . " 0" if $! + 0 != Errno::EINPROGRESS;
    $a->{sock} = $s;
    push @watch, $a;
}

# 1. Names: every lookup at once, each in a child that writes the first address (or its error);
# addresses given as IPs are connected to meanwhile.
my (%lookup, %result);
my $started = now();
for my $a (@attempts) {
    next if numeric($a->{via}, $a->{port}) || $lookup{ $a->{via} };
    pipe(my $r, my $w) or die "pipe: $!\n";
    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        close $r;
        my ($err, @ai) = getaddrinfo($a->{via}, undef, { socktype => SOCK_STREAM });
        my $answer = $err ? ($eai{ $err + 0 } // "EAI" . ($err + 0)) : "0 " . (getnameinfo($ai[0]{addr}, NI_NUMERICHOST, NIx_NOSERV))[1];
        print $w $answer;
        close $w;
        POSIX::_exit(0);
    }
    close $w;
    $lookup{ $a->{via} } = { r => $r, pid => $pid };
}
start_connect($_, $_->{via}) for grep { !$lookup{ $_->{via} } } @attempts;

# 2. One loop watches both: lookups until their deadline (then their names' connections start),
# connections until at least the connect timeout after the last one started.
sub resolved {
    my ($name, $answer) = @_;
    $result{$name} = $answer;
    kill 'KILL', $lookup{$name}{pid};
    waitpid($lookup{$name}{pid}, 0);
    for my $a (grep { $_->{via} eq $name } @attempts) {
        if ($answer =~ /^0 (\S+)$/) { start_connect($a, $1) } else { $a->{line} = "lookup $answer " . us(now() - $started) }
    }
}
my $final_look = 0;
while (1) {
    my @lookups = grep { !exists $result{$_} } keys %lookup;
    my @pending = grep { !defined $_->{line} } @watch;
    last unless @lookups || @pending;
    my $now = now();
    if (@lookups && $now >= $started + $lookup_timeout) {
        resolved($_, 'pending') for @lookups;
        next;
    }
    my $connect_deadline = @pending ? (sort { $b <=> $a } map { $_->{t0} } @pending)[0] + $connect_timeout : $now;
    my $until = @lookups ? $started + $lookup_timeout : $connect_deadline;
    my $left = $until - $now;
    # Past the deadline, one last look without waiting: a handshake the kernel completed while this
    # process was not scheduled still counts as open.
    if ($left <= 0) { last if $final_look; $final_look = 1; $left = 0 }
    my ($rin, $win) = ('', '');
    vec($rin, fileno($lookup{$_}{r}), 1) = 1 for @lookups;
    vec($win, fileno($_->{sock}), 1) = 1 for @pending;
    my $ready = select(my $rout = $rin, my $wout = $win, undef, $left);
    next if $ready <= 0;
    for my $name (@lookups) {
        next unless vec($rout, fileno($lookup{$name}{r}), 1);
        my $fh = $lookup{$name}{r};
        resolved($name, scalar(<$fh>) // 'EOF');
    }
    for my $a (@pending) {
        next unless vec($wout, fileno($a->{sock}), 1);
        my $code = unpack('i', getsockopt($a->{sock}, SOL_SOCKET, SO_ERROR) // pack('i', -1));
        # Writable with no error means connected; the peer's address confirms it.
        next if $code == 0 && !defined getpeername($a->{sock});
        $a->{line} = "connect " . ($code == 0 ? '0' : $code < 0 ? 'getsockopt-failed' : errno_name($code)) . " " . us(now() - $a->{t0});
    }
}
$_->{line} //= "connect pending " . us(now() - $_->{t0}) for @watch;
print "$_->{i} $_->{line}\n" for @attempts;
