#!/usr/bin/perl
# The batch-system workflow through Net::Amazon::EC2 (Debian libnet-amazon-ec2-perl 0.36).
# Run by tests/integration/test_client_perl.py. Its defaults: SigV4 with region us-east-1,
# the host signed without the port and the path always "/", API version 2014-06-15, POST;
# lists given as scalars go out without an index (InstanceId=i-1, Filter.Name=x). A second
# object signs with SigV2 and repeats the reads and the error path. Environment and output as
# in clients/clientrun.py, plus EC2GW_VPC and EC2GW_SUBNET: the instances run in that VPC
# subnet (Net::Amazon::EC2 requires a vpcId on every network interface DescribeInstances
# shows, as every interface has on AWS since EC2-Classic ended).
use strict;
use warnings;
use MIME::Base64 qw(encode_base64 decode_base64);
use Net::Amazon::EC2;

$| = 1;
my $run = $ENV{EC2GW_RUN};
my @failed;
my $user_data = "#!/bin/sh\necho hello from Net::Amazon::EC2\n";

sub step {
    my ($name, $cond, $detail) = @_;
    ($detail = $detail // '') =~ s/\n/\\n/g;
    printf "%s %s\t%s\n", ($cond ? 'ok' : 'FAIL'), $name, $detail;
    push @failed, $name unless $cond;
    return $cond;
}

sub ec2 {
    my (%opt) = @_;
    return Net::Amazon::EC2->new(
        AWSAccessKeyId  => $ENV{EC2GW_ACCESS_KEY},
        SecretAccessKey => $ENV{EC2GW_SECRET_KEY},
        base_url        => $ENV{EC2GW_URL},
        %opt
    );
}

sub instances {
    my ($ec2, %args) = @_;
    my $res = $ec2->describe_instances(%args);
    return map { @{ $_->instances_set } } @{ $res || [] };
}

# describe_instance_status until every instance is in $state (gone counts as terminated).
sub wait_state {
    my ($ec2, $ids, $state) = @_;
    for (1 .. 150) {
        my $got = eval { $ec2->describe_instance_status(InstanceId => $ids, IncludeAllInstances => 'true') || [] };
        my $err = $@;
        # terminated instances leave DescribeInstanceStatus: gone is as good as terminated
        return 1 if $err && $state eq 'terminated' && error_code(sub { die $err }) eq 'InvalidInstanceID.NotFound';
        die $err if $err;
        return 1 if @$got == @$ids && !grep { $_->instance_state->name ne $state } @$got;
        sleep 2;
    }
    return 0;
}

# The error code Net::Amazon::EC2 croaks with (a Net::Amazon::EC2::Errors object), or a note.
sub error_code {
    my ($fn) = @_;
    my $r = eval { $fn->(); 1 };
    return 'no error' if $r;
    my $e = $@;
    return ref $e && $e->isa('Net::Amazon::EC2::Errors') ? $e->errors->[0]->code : "died: $e";
}

# A security group with an ingress rule, an address (as EC2-Classic spells it: by public IP)
# associated with the instance and released, and a VPC address allocated and released.
sub network {
    my ($ec2, $id) = @_;
    my ($c, $g, $ip);
    my $sg = "$run-sg";
    step('create_security_group', $ec2->create_security_group(GroupName => $sg, GroupDescription => 'Net::Amazon::EC2 test group'));
    step('authorize_security_group_ingress', $ec2->authorize_security_group_ingress(
        GroupName => $sg, IpProtocol => 'tcp', FromPort => 22, ToPort => 22, CidrIp => '10.0.0.0/8'));
    my $groups = $ec2->describe_security_groups(GroupName => $sg);
    ($g) = @{ $groups || [] };
    my ($perm) = grep { $_->ip_protocol eq 'tcp' } @{ ($g && $g->ip_permissions) || [] };
    step('describe_security_groups', $g && @$groups == 1 && $g->group_id =~ /^sg-/ && $g->group_name eq $sg
         && $perm && $perm->from_port == 22 && $perm->to_port == 22
         && (join(',', map { $_->cidr_ip } @{ $perm->ip_ranges || [] }) eq '10.0.0.0/8'),
         $g ? $g->group_id : '');
    step('unknown security group', ($c = error_code(sub { $ec2->describe_security_groups(GroupName => "$run-nope") }))
         eq 'InvalidGroup.NotFound', $c);

    $ip = $ec2->allocate_address();
    step('allocate_address', defined $ip && !ref $ip && $ip =~ /^\d+\.\d+\.\d+\.\d+$/, $ip // '');
    step('associate_address', $ec2->associate_address(InstanceId => $id, PublicIp => $ip));
    my ($addr) = @{ $ec2->describe_addresses(PublicIp => $ip) || [] };
    step('describe_addresses', $addr && $addr->public_ip eq $ip && ($addr->instance_id // '') eq $id,
         $addr ? ($addr->instance_id // '-') : '');
    step('disassociate_address', $ec2->disassociate_address(PublicIp => $ip));
    ($addr) = @{ $ec2->describe_addresses(PublicIp => $ip) || [] };
    step('disassociated', $addr && !defined $addr->instance_id);
    step('release_address', $ec2->release_address(PublicIp => $ip));
    step('address released', ($c = error_code(sub { $ec2->describe_addresses(PublicIp => $ip) }))
         eq 'InvalidAddress.NotFound', $c);

    my $alloc = $ec2->allocate_vpc_address();
    step('allocate_vpc_address', defined $alloc && !ref $alloc && $alloc =~ /^eipalloc-/, $alloc // '');
    step('release_vpc_address', $ec2->release_vpc_address(AllocationId => $alloc));
    step('delete_security_group', $ec2->delete_security_group(GroupName => $sg));
    step('security group gone', ($c = error_code(sub { $ec2->describe_security_groups(GroupName => $sg) }))
         eq 'InvalidGroup.NotFound', $c);
}

my $ec2 = ec2();
step('defaults', $ec2->signature_version == 4 && $ec2->version eq '2014-06-15',
     "Net::Amazon::EC2 $Net::Amazon::EC2::VERSION, SigV" . $ec2->signature_version
     . ', API version ' . $ec2->version);

my $zones = $ec2->describe_availability_zones();
step('describe_availability_zones',
     @$zones == 1 && $zones->[0]->zone_name eq 'nova' && $zones->[0]->zone_state eq 'available');
my ($image) = grep { ($_->name // '') eq 'cirros-fake' } @{ $ec2->describe_images() || [] };
step('describe_images', $image && $image->image_id =~ /^ami-/, $image ? $image->image_id : '');

my $kname = "$run-key";
my $kp = $ec2->create_key_pair(KeyName => $kname);
step('create_key_pair', $kp->key_material =~ /PRIVATE KEY/, $kp->key_fingerprint);
my $kps = $ec2->describe_key_pairs(KeyName => $kname);
step('describe_key_pairs', @$kps == 1 && $kps->[0]->key_name eq $kname);

my $res = $ec2->run_instances(
    ImageId                      => $image->image_id,
    MinCount                     => 2,
    MaxCount                     => 2,
    KeyName                      => $kname,
    InstanceType                 => 't2.micro',
    'Placement.AvailabilityZone' => 'nova',
    SubnetId                     => $ENV{EC2GW_SUBNET},
    UserData                     => encode_base64($user_data, ''),
);
my @ids = map { $_->instance_id } @{ $res->instances_set };
step('run_instances', @ids == 2 && $res->reservation_id =~ /^r-/
     && !grep({ ($_->vpc_id // '') ne $ENV{EC2GW_VPC} } @{ $res->instances_set }), "@ids");
step('create_tags', $ec2->create_tags(ResourceId => \@ids, Tags => { Name => $run, batch => $run }));
step('running', wait_state($ec2, \@ids, 'running'));

# Net::Amazon::EC2 builds a NetworkInterfaceSet (vpcId, subnetId, status, macAddress and
# privateIpAddress all required strings) for every interface: it dies on a missing one.
my @found = eval { instances($ec2, Filter => [ [ 'tag:batch', $run ], [ 'instance-state-name', 'running' ] ]) };
step('describe_instances filter', !$@ && join(' ', sort map { $_->instance_id } @found) eq join(' ', sort @ids),
     $@ || join(' ', map { $_->instance_id } @found));
my @nics = map { @{ $_->network_interface_set || [] } } @found;
step('describe_instances vpc', @found == 2 && @nics == 2
     && !grep({ ($_->vpc_id // '') ne $ENV{EC2GW_VPC} || ($_->subnet_id // '') ne $ENV{EC2GW_SUBNET} } @found, @nics)
     && !grep({ $_->network_interface_id !~ /^eni-/ || $_->status ne 'in-use' || $_->private_ip_address !~ /^\d+\./ } @nics),
     join(' ', map { join('/', $_->network_interface_id, $_->vpc_id, $_->subnet_id, $_->private_ip_address) } @nics));
@found = eval { instances($ec2, Filter => [ [ 'vpc-id', $ENV{EC2GW_VPC} ], [ 'tag:batch', $run ] ]) };
step('describe_instances vpc-id filter', !$@ && @found == 2, $@ || scalar(@found));
my $id = $ids[0];
my ($inst) = @{ $res->instances_set };
step('instance fields', $inst->key_name eq $kname && $inst->instance_type eq 't2.micro'
     && $inst->placement->availability_zone eq 'nova',
     join(' ', $inst->key_name, $inst->instance_type, $inst->placement->availability_zone));
my $status = $ec2->describe_instance_status(InstanceId => $id);
step('describe_instance_status', $status && $status->[0]->instance_state->name eq 'running'
     && $status->[0]->availability_zone eq 'nova');
my $out = $ec2->get_console_output(InstanceId => $id);
step('get_console_output', $out && $out->output =~ /FAKE CONSOLE OUTPUT/, $out ? substr($out->output, 0, 30) : '');

my $tags = $ec2->describe_tags('Filter.Name' => 'resource-id', 'Filter.Value' => $id);
my %tag = map { $_->key => $_->value } @{ $tags || [] };
step('describe_tags', ($tag{batch} // '') eq $run && ($tag{Name} // '') eq $run, join(',', %tag));
step('delete_tags', $ec2->delete_tags(ResourceId => $id, 'Tag.Key' => 'batch'));
$tags = $ec2->describe_tags('Filter.Name' => [ 'resource-id', 'key' ], 'Filter.Value' => [ $id, 'batch' ]);
step('tag deleted', !@{ $tags || [] });

my $stopped = $ec2->stop_instances(InstanceId => $id);
step('stop_instances', @$stopped == 1 && $stopped->[0]->instance_id eq $id);
step('stopped', wait_state($ec2, [$id], 'stopped'));
my $started = $ec2->start_instances(InstanceId => $id);
step('start_instances', @$started == 1 && $started->[0]->instance_id eq $id);
step('running again', wait_state($ec2, [$id], 'running'));
step('reboot_instances', $ec2->reboot_instances(InstanceId => $ids[1]));

network($ec2, $id);

my $c;
step('unknown instance', ($c = error_code(sub { $ec2->describe_instances(InstanceId => 'i-0123456789abcdef0') }))
     eq 'InvalidInstanceID.NotFound', $c);
step('unknown key pair', ($c = error_code(sub { $ec2->describe_key_pairs(KeyName => "$run-nope") }))
     eq 'InvalidKeyPair.NotFound', $c);

my $v2 = ec2(signature_version => 2);
$zones = $v2->describe_availability_zones();
step('sigv2 describe_availability_zones', @$zones == 1 && $zones->[0]->zone_name eq 'nova');
my $v2got = $v2->describe_instance_status(InstanceId => \@ids) || [];
step('sigv2 describe_instance_status', @$v2got == 2);
step('sigv2 unknown instance', ($c = error_code(sub { $v2->describe_instances(InstanceId => 'i-0123456789abcdef0') }))
     eq 'InvalidInstanceID.NotFound', $c);

my $gone = $ec2->terminate_instances(InstanceId => \@ids);
step('terminate_instances', @$gone == 2);
step('terminated', wait_state($ec2, \@ids, 'terminated'));
step('delete_key_pair', $ec2->delete_key_pair(KeyName => $kname));
step('key pair gone', !grep { $_->key_name eq $kname } @{ $ec2->describe_key_pairs() || [] });
exit(@failed ? 1 : 0);
