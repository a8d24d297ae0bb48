# @summary The ec2gwd service: systemd by default, or start-stop-daemon with provider base.
#
# @api private
class ec2gw::service {
  assert_private()

  if $ec2gw::manage_service {
    if $ec2gw::service_provider == 'base' {
      # No service manager: start-stop-daemon keeps the pid file; the password comes from
      # keystone.service_password_file, so the daemon needs no environment.
      $ssd = '/sbin/start-stop-daemon'
      $start = pick($ec2gw::service_start, join([
            "${ssd} --start --quiet --background --make-pidfile --pidfile ${ec2gw::pid_file}",
            "--chuid ${ec2gw::user}:${ec2gw::user} --output ${ec2gw::daemon_log}",
            "--exec ${ec2gw::daemon_path} -- -c ${ec2gw::conf_dir}",
      ], ' '))
      $stop = pick($ec2gw::service_stop,
      "${ssd} --stop --quiet --retry TERM/30/KILL/5 --pidfile ${ec2gw::pid_file} --remove-pidfile")
      $status = pick($ec2gw::service_status,
      "${ssd} --status --pidfile ${ec2gw::pid_file}")
      $enable = undef # provider base cannot enable at boot
    } else {
      $start = $ec2gw::service_start
      $stop = $ec2gw::service_stop
      $status = $ec2gw::service_status
      $enable = $ec2gw::service_enable
    }
    service { $ec2gw::service_name:
      ensure   => $ec2gw::service_ensure,
      enable   => $enable,
      provider => $ec2gw::service_provider,
      start    => $start,
      stop     => $stop,
      status   => $status,
    }
  }
}
