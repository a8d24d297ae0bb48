#!/usr/bin/perl
# The batch-system workflow through VM::EC2 (Debian libvm-ec2-perl 1.28). Run by
# tests/integration/test_client_perl.py. Without AWS::Signature4 (not in Debian) VM::EC2 signs
# SigV2 HmacSHA256 over host:port and the endpoint's path, POSTs, sends API version 2014-05-01
# and reads <return> of calls without output. Environment and output as in clients/clientrun.py.
use strict;
use warnings;
use VM::EC2 ':standard', ':misc';

$| = 1;
my $run = $ENV{EC2GW_RUN};
my @failed;
my $user_data = "#!/bin/sh\necho hello from VM::EC2\n";
my $pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0SQ1/b5qx5JDVc+kSgsx0JeN+mWZ0hUuvmFa5CnEX it';

sub step {
    my ($name, $cond, $detail) = @_;
    ($detail = $detail // '') =~ s/\n/\\n/g;
    printf "%s %s\t%s\n", ($cond ? 'ok' : 'FAIL'), $name, $detail;
    push @failed, $name unless $cond;
    return $cond;
}

# The VM::EC2::Error code of a call, or a note when it did not fail that way.
sub error_code {
    my ($ec2, $fn) = @_;
    my @r = eval { $fn->() };
    return 'no error' unless $@;
    my $e = $@;
    return ref $e && $e->isa('VM::EC2::Error') ? $e->code : "died: $e";
}

sub wait_state {
    my ($ec2, $state, @ids) = @_;
    for (1 .. 150) {
        my @got = $ec2->describe_instances(-instance_id => \@ids);
        return 1 if @got == @ids && !grep { $_->instanceState ne $state } @got;
        sleep 2;
    }
    return 0;
}

# A security group with a rule (VM::EC2 collects rules and sends them on update()), and a
# VPC address associated with the instance and released.
sub network {
    my ($ec2, $inst) = @_;
    my $sg = $ec2->create_security_group(-name => "$run-sg", -description => 'VM::EC2 test group');
    step('create_security_group', $sg && $sg->groupId =~ /^sg-/, $sg ? $sg->groupId : '');
    $sg->authorize_incoming(-protocol => 'tcp', -port => 22, -source_ip => '10.0.0.0/8');
    step('authorize_incoming', $sg->update, join(' ', $sg->ipPermissions));
    my $addr = $ec2->allocate_address(-vpc => 1);
    step('allocate_address', $addr && $addr->allocationId, $addr ? $addr->publicIp : '');
    step('associate_address', $ec2->associate_address($addr => $inst->instanceId));
    ($addr) = $ec2->describe_addresses(-allocation_id => $addr->allocationId);
    step('describe_addresses', ($addr->instanceId // '') eq $inst->instanceId, $addr->associationId // '');
    step('disassociate_address', $ec2->disassociate_address($addr));
    step('release_address', $ec2->release_address($addr));
    step('delete_security_group', $ec2->delete_security_group($sg));
}

my $ec2 = VM::EC2->new(-access_key => $ENV{EC2GW_ACCESS_KEY}, -secret_key => $ENV{EC2GW_SECRET_KEY},
                       -endpoint => $ENV{EC2GW_URL}, -raise_error => 1);
step('defaults', $ec2->version eq '2014-05-01' && !AWS::Signature4->can('new'),
     "VM::EC2 $VM::EC2::VERSION, SigV2 HmacSHA256, API version " . $ec2->version);

my @zones = $ec2->describe_availability_zones();
step('describe_availability_zones', @zones == 1 && $zones[0]->zoneName eq 'nova'
     && $zones[0]->zoneState eq 'available');
my @images = $ec2->describe_images(-filter => { name => 'cirros-fake' });
step('describe_images', @images == 1 && $images[0]->imageId =~ /^ami-/, "@images");

my ($kname, $iname) = ("$run-key", "$run-imp");
my $kp = $ec2->create_key_pair($kname);
step('create_key_pair', $kp && $kp->privateKey =~ /PRIVATE KEY/, $kp ? $kp->fingerprint : '');
my $imp = $ec2->import_key_pair($iname, $pub);
step('import_key_pair', $imp && $imp->keyName eq $iname, $imp ? $imp->fingerprint : '');
my @kps = $ec2->describe_key_pairs(-key_name => [ $kname, $iname ]);
step('describe_key_pairs', join(' ', sort map { $_->keyName } @kps) eq join(' ', sort $kname, $iname));

my @insts = $images[0]->run_instances(-min_count => 2, -max_count => 2, -key_name => $kname,
                                      -instance_type => 't2.micro', -placement_zone => 'nova',
                                      -user_data => $user_data);
my @ids = map { $_->instanceId } @insts;
step('run_instances', @ids == 2 && $insts[0]->reservationId =~ /^r-/, "@ids");
step('create_tags', $ec2->create_tags(-resource_id => \@ids, -tag => { Name => $run, batch => $run }));
my $st = $ec2->wait_for_instances(@insts);
my @states = values %{ $st || {} };
step('wait_for_instances', @states == 2 && !grep({ $_ ne 'running' } @states), "@states");

my @found = $ec2->describe_instances(-filter => { 'tag:batch' => $run, 'instance-state-name' => 'running' });
step('describe_instances filter', join(' ', sort map { $_->instanceId } @found) eq join(' ', sort @ids),
     "@found");
my ($inst) = $ec2->describe_instances($ids[0]);
step('instance fields', $inst->keyName eq $kname && $inst->instanceType eq 't2.micro'
     && $inst->placement eq 'nova' && $inst->tags->{Name} eq $run && $inst->userData eq $user_data,
     join(' ', $inst->keyName, $inst->placement, $inst->privateIpAddress // '-'));
my $out = $inst->console_output;
step('console_output', "$out" =~ /FAKE CONSOLE OUTPUT/, substr("$out", 0, 30));

my @tags = $ec2->describe_tags(-filter => { 'resource-id' => $inst->instanceId });
my %tag = map { $_->key => $_->value } @tags;
step('describe_tags', ($tag{batch} // '') eq $run, join(',', %tag));
step('delete_tags', $ec2->delete_tags(-resource_id => $inst->instanceId, -tag => { batch => undef })
     && !exists $ec2->describe_instances($ids[0])->tags->{batch});

my @changes = $ec2->stop_instances($inst);
step('stop_instances', @changes == 1 && $changes[0]->instanceId eq $inst->instanceId, "@changes");
step('stopped', wait_state($ec2, 'stopped', $inst->instanceId));
@changes = $ec2->start_instances($inst);
step('start_instances', @changes == 1);
step('running again', wait_state($ec2, 'running', $inst->instanceId));
step('reboot_instances', $ec2->reboot_instances($ids[1]));

network($ec2, $inst) if ($ENV{EC2GW_NETWORK} // '') eq '1';

my $c;
step('unknown instance', ($c = error_code($ec2, sub { $ec2->describe_instances('i-0123456789abcdef0') }))
     eq 'InvalidInstanceID.NotFound', $c);
step('unknown key pair', ($c = error_code($ec2, sub { $ec2->describe_key_pairs("$run-nope") }))
     eq 'InvalidKeyPair.NotFound', $c);

@changes = $ec2->terminate_instances(@ids);
step('terminate_instances', @changes == 2);
step('terminated', wait_state($ec2, 'terminated', @ids));
step('delete_key_pair', $ec2->delete_key_pair($kname) && $ec2->delete_key_pair($iname));
my @left = grep { $_->keyName eq $kname || $_->keyName eq $iname } $ec2->describe_key_pairs();
step('key pairs gone', !@left);
exit(@failed ? 1 : 0);
