# @summary The MariaDB/MySQL database of ec2gw and its user's grants (ec2gw::database =>
#   'mysql://ec2gw@HOST/ec2gw').
#
# puppetlabs-mysql (mysql::db) is not packaged in Debian, so this class runs the `mariadb`
# client as an exec guarded by a read-only query (unless): a second run changes nothing. The
# SQL, which holds the password, goes to the client on stdin from the exec's environment,
# never on a command line. The client logs in as `mysql_options` say (default: root through
# the unix socket, Debian's default for root).
#
# @example
#   class { 'ec2gw::db::mysql':
#     password      => Sensitive('dbsecret'),
#     allowed_hosts => ['10.0.0.%'],
#   }
#
# @param password
#   The database user's password (set when the user is created; not empty or whitespace
#   only).
# @param dbname
#   The database.
# @param user
#   The database user.
# @param host
#   The host part of the user the daemon connects as.
# @param allowed_hosts
#   More host parts (each gets the same user and grant).
# @param charset
#   The database's character set.
# @param collate
#   The database's collation.
# @param mysql_command
#   The client.
# @param mysql_options
#   Client options before the SQL (e.g. --defaults-file=/root/.my.cnf, --host=...), one
#   argument each (quoted for the shell).
class ec2gw::db::mysql (
  Variant[String[1], Sensitive[String[1]]] $password,
  Pattern[/\A[A-Za-z0-9_]+\z/] $dbname = 'ec2gw',
  Pattern[/\A[A-Za-z0-9_]+\z/] $user = 'ec2gw',
  Pattern[/\A[A-Za-z0-9_.%:-]+\z/] $host = '127.0.0.1',
  Array[Pattern[/\A[A-Za-z0-9_.%:-]+\z/]] $allowed_hosts = [],
  Pattern[/\A[a-z0-9_]+\z/] $charset = 'utf8mb4',
  Pattern[/\A[a-z0-9_]+\z/] $collate = 'utf8mb4_general_ci',
  Stdlib::Absolutepath $mysql_command = '/usr/bin/mariadb',
  Array[String[1]] $mysql_options = [],
) {
  # String[1] lets ' ' through: MariaDB would take it as the password. The message never
  # shows the value.
  if $password.unwrap =~ /\A\s*\z/ {
    fail('ec2gw::db::mysql: password must not be empty or whitespace only')
  }
  # Quoted word by word: a path or option with a space or a quote stays one argument.
  $client = shellquote([$mysql_command] + $mysql_options)
  # A quoted SQL string literal: backslashes and quotes doubled up.
  $pw = regsubst(regsubst($password.unwrap, '\\\\', '\\\\\\\\', 'G'), "'", "''", 'G')

  exec { "ec2gw mysql database ${dbname}":
    command     => "printf '%s\\n' \"\$EC2GW_SQL\" | ${client}",
    unless      => "${client} -N -e \"SHOW DATABASES LIKE '${dbname}'\" | grep -qx ${dbname}",
    environment => ["EC2GW_SQL=CREATE DATABASE IF NOT EXISTS `${dbname}` CHARACTER SET ${charset} COLLATE ${collate};"],
    provider    => shell,
    logoutput   => on_failure,
  }

  unique([$host] + $allowed_hosts).each |String $h| {
    $account = "'${user}'@'${h}'"
    $sql = [
      "CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY '${pw}';",
      "GRANT ALL PRIVILEGES ON `${dbname}`.* TO ${account};",
    ].join(' ')
    exec { "ec2gw mysql grant ${user}@${h}":
      command     => "printf '%s\\n' \"\$EC2GW_SQL\" | ${client}",
      unless      => "${client} -N -e \"SHOW GRANTS FOR ${account}\" 2>/dev/null | grep -qF 'ON `${dbname}`.*'",
      environment => ["EC2GW_SQL=${sql}"],
      provider    => shell,
      logoutput   => on_failure,
      require     => Exec["ec2gw mysql database ${dbname}"],
    }
  }
}
