#!/usr/bin/perl
# Inert placeholder for a service whose official image is not available offline. It holds the
# service's TCP ports (env PLACEHOLDER_PORTS, e.g. "8000 8443") and answers every HTTP request with
# 503 and "placeholder for $PLACEHOLDER_FOR: official image not available offline" (CORS preflights: 204).
# Only perl-base (already in the base image): IO::Socket::INET + IO::Select, one fork per connection.
# Exits at once on SIGTERM/SIGINT (it is PID 1 in its container).
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Socket qw(SHUT_WR);

my $for   = defined $ENV{PLACEHOLDER_FOR} && $ENV{PLACEHOLDER_FOR} ne '' ? $ENV{PLACEHOLDER_FOR} : 'unknown service';
my @ports = split ' ', (defined $ENV{PLACEHOLDER_PORTS} ? $ENV{PLACEHOLDER_PORTS} : '');
my $body  = "placeholder for $for: official image not available offline\n";

$| = 1;
$SIG{TERM} = $SIG{INT} = sub { print "placeholder for $for: stopping\n"; exit 0 };
$SIG{CHLD} = 'IGNORE';    # children are reaped by the kernel
$SIG{PIPE} = 'IGNORE';

die "placeholder: PLACEHOLDER_PORTS is empty: set it to the TCP ports to hold, e.g. \"8000 8443\"\n" unless @ports;
my $select = IO::Select->new;
for my $port (@ports) {
    die "placeholder: PLACEHOLDER_PORTS: '$port' is not a TCP port number (1-65535)\n"
        unless $port =~ /^\d+$/ && $port >= 1 && $port <= 65535;
    my $listener = IO::Socket::INET->new(
        LocalAddr => '0.0.0.0', LocalPort => $port, Proto => 'tcp', Listen => 128, ReuseAddr => 1,
    ) or die "placeholder: cannot listen on TCP port $port: $!\n";
    $select->add($listener);
}
print "placeholder for $for: listening on TCP @ports (every HTTP request gets 503)\n";

while (1) {
    for my $listener ($select->can_read) {
        my $conn = $listener->accept or next;
        my $pid = fork;
        if (defined $pid && $pid == 0) {
            $SIG{TERM} = $SIG{INT} = 'DEFAULT';
            answer($conn);
            exit 0;
        }
        close $conn;
    }
}

sub answer {
    my ($conn) = @_;
    local $SIG{ALRM} = sub { exit 0 };
    alarm 10;    # a client that never finishes its request is dropped
    my $request = '';
    while ($request !~ /\r?\n\r?\n/ && length($request) < 65536) {
        my $n = sysread($conn, $request, 4096, length $request);
        last unless $n;
    }
    my ($method, $target) = $request =~ /^([A-Z]+) (\S+)/;
    # One line per request, so that what a client sent to this network position can be checked
    # (n8n's calls to the gateway): credentials only as length + 32-bit checksum, never in full.
    if (defined $method) {
        my %seen;
        for my $name ('apikey', 'authorization') {
            my ($value) = $request =~ /^\Q$name\E:[ \t]*([^\r\n]*)/mi;
            $value =~ s/^Bearer[ \t]+//i if defined $value && $name eq 'authorization';
            $seen{$name} = defined $value ? sprintf('len%d-sum%d', length $value, unpack('%32C*', $value)) : 'absent';
        }
        print "request: $method $target apikey=$seen{apikey} bearer=$seen{authorization}\n";
    }
    # CORS like the gateway's cors plugin, so that a browser sees the 503 (and its message) instead of
    # an opaque network error; a preflight is answered as allowed.
    my @cors = ('Access-Control-Allow-Origin: *', 'Access-Control-Allow-Headers: *', 'Access-Control-Allow-Methods: *');
    my $preflight = defined $method && $method eq 'OPTIONS';
    my $head = join "\r\n",
        ($preflight ? 'HTTP/1.1 204 No Content' : 'HTTP/1.1 503 Service Unavailable'),
        'Content-Type: text/plain; charset=utf-8',
        'Content-Length: ' . ($preflight ? 0 : length($body)),
        'Retry-After: 3600',
        "X-Aiwah-Placeholder: $for",
        @cors,
        'Connection: close', '', '';
    syswrite($conn, $head . (defined $method && ($method eq 'HEAD' || $preflight) ? '' : $body));
    shutdown($conn, SHUT_WR);
    # Drain what the client still sends so that closing does not reset the connection.
    alarm 2;
    my $sink;
    1 while sysread($conn, $sink, 4096);
    close $conn;
}
