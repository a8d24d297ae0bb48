# @summary The ec2gwd service: systemd by default, or start-stop-daemon with provider base.
#
# Exec['ec2gw reload'] sends SIGHUP when a conf.d file of Puppet's changes; the service itself
# restarts for the keys a reload does not apply (ec2gw::config's restart-keys.json) and for a
# new password. The reload goes first, to the daemon that runs: a restart after it reads the
# same files.
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
      $reload = pick($ec2gw::service_reload,
      "${ssd} --stop --signal HUP --quiet --pidfile ${ec2gw::pid_file}")
    } else {
      $start = $ec2gw::service_start
      $stop = $ec2gw::service_stop
      $status = $ec2gw::service_status
      $enable = $ec2gw::service_enable
      $reload = pick($ec2gw::service_reload, "systemctl reload ${ec2gw::service_name}")
    }
    $running = pick($status, "systemctl is-active --quiet ${ec2gw::service_name}")
    exec { 'ec2gw reload':
      command     => $reload,
      onlyif      => $running, # a stopped daemon reads conf.d when it starts
      refreshonly => true,
      path        => ['/usr/sbin', '/usr/bin', '/sbin', '/bin'],
      before      => Service[$ec2gw::service_name],
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
