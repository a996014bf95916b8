#!/usr/bin/env perl
# Validates the fixtures of api/testdata/logs as GET /logs 200 answers of an
# OpenAPI 3.0 document with Perl's JSON::Validator (Debian:
# libjson-validator-perl), whose OpenAPIv3 schema coerces booleans, numbers
# and strings by default. It is how the spec's unions came to be anyOf: an
# integer session_id also matches a string branch once coerced, so a oneOf
# of the two refuses it ("All of the oneOf rules match"). Not run by CI (it
# needs a Debian package); README.md quotes its result. From the root:
#
#   perl tests/perl/validate_fixtures.pl api/openapi.yaml api/testdata/logs/*.json
#
# prints the pages and the entries (each alone in a page) accepted, and the
# first errors of each refused page. It exits 1 if a page is refused.
use strict;
use warnings;
use JSON::Validator::Schema::OpenAPIv3;
use Mojo::File qw(path);
use Mojo::JSON qw(decode_json);

my ($spec, @fixtures) = @ARGV;
die "usage: $0 SPEC FIXTURE...\n" unless $spec && @fixtures;
my $schema = JSON::Validator::Schema::OpenAPIv3->new($spec);
die join("\n", @{$schema->errors}), "\n" if @{$schema->errors};

sub errors_of {
  my ($body) = @_;
  return $schema->validate_response([get => '/logs', 200], {body => sub { {exists => 1, value => $body} }});
}

my ($pages_ok, $entries_ok, $entries) = (0, 0, 0);
for my $f (@fixtures) {
  my $page = decode_json(path($f)->slurp);
  my @e = errors_of($page);
  if (@e) { print "  $f: $_\n" for @e[0 .. ($#e < 2 ? $#e : 2)] } else { $pages_ok++ }
  for my $entry (@{$page->{entries}}) {
    $entries++;
    $entries_ok++ unless errors_of({entries => [$entry]});
  }
}
printf "JSON::Validator %s, %s: pages %d/%d, entries %d/%d (coerces %s)\n", $JSON::Validator::VERSION, $spec,
  $pages_ok, scalar @fixtures, $entries_ok, $entries, join(',', sort keys %{$schema->coerce});
exit($pages_ok == @fixtures ? 0 : 1);
