<?php
/**
 * A SMALL STAND-IN FOR WP-CLI, for tests only. WP-CLI cannot be installed on these machines (not in Debian,
 * Packagist unreachable), so the command class is tested against this stand-in, inside a real WordPress.
 *
 * It implements only what Mulopimfwc_Bulk_Sync_CLI_Command uses, following WP-CLI's documented behaviour:
 *   - constant WP_CLI (true), as WP-CLI defines it before loading WordPress;
 *   - WP_CLI::add_command( $name, $callable ), WP_CLI::success / warning / log / line / error / halt;
 *     error() prints "Error: ..." to STDERR and exits 1 (here: throws WP_CLI_Stand_In_Exit with code 1),
 *     halt( $code ) exits with $code (here: throws with $code);
 *   - WP_CLI\Utils\make_progress_bar( $message, $count ): an object with tick( $n = 1 ) and finish();
 *   - WP_CLI\Utils\format_items( $format, $items, $fields ): table / json / csv / ids / count / yaml-less, printed.
 * Everything printed goes through `echo` (STDOUT) or the captured STDERR buffer, so a test can read it.
 * WP_CLI::run_command() is this file's own addition: it dispatches "mulopimfwc bulk-sync ARGS" to the registered
 * command object (subcommand names from the method's @subcommand tag, as WP-CLI does) and returns
 * ['exit' => int, 'stdout' => string, 'stderr' => string].
 *
 * @package Mulopimfwc_Bulk_Sync
 */

// phpcs:disable

namespace {
	if ( ! defined( 'WP_CLI' ) ) {
		define( 'WP_CLI', true );
	}

	/** Thrown where WP-CLI would exit the process. */
	class WP_CLI_Stand_In_Exit extends \Exception {
	}

	class WP_CLI {
		/** @var array<string,mixed> registered commands */
		public static $commands = array();
		/** @var list<array{0:string,1:string}> everything said, in order: [kind, message] */
		public static $said = array();
		/** @var string what went to "STDERR" */
		public static $stderr = '';
		/** @var list<\WP_CLI_Stand_In_Progress_Bar> */
		public static $progress_bars = array();

		public static function add_command( $name, $callable, $args = array() ) {
			self::$commands[ $name ] = $callable;
			return true;
		}

		public static function success( $message ) {
			self::$said[] = array( 'success', $message );
			echo 'Success: ', $message, "\n";
		}

		public static function log( $message ) {
			self::$said[] = array( 'log', $message );
			echo $message, "\n";
		}

		public static function line( $message = '' ) {
			self::$said[] = array( 'line', $message );
			echo $message, "\n";
		}

		public static function warning( $message ) {
			self::$said[] = array( 'warning', $message );
			self::$stderr .= 'Warning: ' . $message . "\n";
		}

		public static function error( $message, $exit = true ) {
			if ( $message instanceof \WP_Error ) {
				$message = $message->get_error_message();
			}
			self::$said[] = array( 'error', $message );
			self::$stderr .= 'Error: ' . $message . "\n";
			if ( $exit ) {
				throw new WP_CLI_Stand_In_Exit( (string) $message, 1 );
			}
		}

		public static function halt( $return_code ) {
			throw new WP_CLI_Stand_In_Exit( 'halt', (int) $return_code );
		}

		public static function reset() {
			self::$said          = array();
			self::$stderr        = '';
			self::$progress_bars = array();
		}

		/**
		 * Run "NAME SUBCOMMAND positional... --flag --key=value" like WP-CLI would, capturing output.
		 *
		 * @param string[] $argv Words after `wp`.
		 * @return array{exit:int,stdout:string,stderr:string}
		 */
		public static function run_command( array $argv ) {
			self::reset();
			$name = array_shift( $argv );
			$sub  = array_shift( $argv );
			if ( ! isset( self::$commands[ $name ] ) ) {
				return array( 'exit' => 1, 'stdout' => '', 'stderr' => "Error: '$name' is not a registered wp command.\n" );
			}
			$object = self::$commands[ $name ];
			$method = null;
			foreach ( ( new \ReflectionObject( $object ) )->getMethods( \ReflectionMethod::IS_PUBLIC ) as $m ) {
				$doc     = (string) $m->getDocComment();
				$subname = preg_match( '/@subcommand\s+(\S+)/', $doc, $mm ) ? $mm[1] : str_replace( '_', '-', $m->getName() );
				if ( $subname === $sub && ! $m->isConstructor() && ! $m->isStatic() ) {
					$method = $m->getName();
				}
			}
			if ( null === $method ) {
				return array( 'exit' => 1, 'stdout' => '', 'stderr' => "Error: '$sub' is not a registered subcommand of '$name'.\n" );
			}
			$args  = array();
			$assoc = array();
			foreach ( $argv as $a ) {
				if ( preg_match( '/^--([^=]+)=(.*)$/s', $a, $mm ) ) {
					$assoc[ $mm[1] ] = $mm[2];
				} elseif ( preg_match( '/^--(.+)$/', $a, $mm ) ) {
					$assoc[ $mm[1] ] = true;
				} else {
					$args[] = $a;
				}
			}
			$exit = 0;
			ob_start();
			try {
				$object->$method( $args, $assoc );
			} catch ( WP_CLI_Stand_In_Exit $e ) {
				$exit = $e->getCode();
			} finally {
				$stdout = (string) ob_get_clean();
			}
			return array( 'exit' => $exit, 'stdout' => $stdout, 'stderr' => self::$stderr );
		}
	}

	class WP_CLI_Stand_In_Progress_Bar {
		public $message;
		public $count;
		public $ticks    = 0;
		public $finished = 0;

		public function __construct( $message, $count ) {
			$this->message = $message;
			$this->count   = $count;
		}

		public function tick( $increment = 1, $msg = null ) {
			$this->ticks += $increment;
		}

		public function finish() {
			$this->finished++;
		}
	}
}

namespace WP_CLI\Utils {
	function make_progress_bar( $message, $count, $interval = 100 ) {
		$bar                             = new \WP_CLI_Stand_In_Progress_Bar( $message, $count );
		\WP_CLI::$progress_bars[]        = $bar;
		return $bar;
	}

	function format_items( $format, $items, $fields ) {
		if ( is_string( $fields ) ) {
			$fields = explode( ',', $fields );
		}
		$rows = array();
		foreach ( $items as $item ) {
			$item = (array) $item;
			$row  = array();
			foreach ( $fields as $f ) {
				$row[ $f ] = isset( $item[ $f ] ) ? $item[ $f ] : null;
			}
			$rows[] = $row;
		}
		switch ( $format ) {
			case 'json':
				echo json_encode( $rows ), "\n";
				break;
			case 'csv':
				$h = fopen( 'php://output', 'w' );
				fputcsv( $h, $fields, ',', '"', '' );
				foreach ( $rows as $row ) {
					fputcsv( $h, array_values( $row ), ',', '"', '' );
				}
				fclose( $h );
				break;
			case 'count':
				echo count( $rows ), "\n";
				break;
			case 'table':
				$w = array();
				foreach ( $fields as $f ) {
					$w[ $f ] = strlen( $f );
					foreach ( $rows as $row ) {
						$w[ $f ] = max( $w[ $f ], strlen( (string) $row[ $f ] ) );
					}
				}
				$sep = '+';
				foreach ( $fields as $f ) {
					$sep .= str_repeat( '-', $w[ $f ] + 2 ) . '+';
				}
				$line = static function ( $cells ) use ( $fields, $w ) {
					$s = '|';
					foreach ( $fields as $i => $f ) {
						$s .= ' ' . str_pad( (string) $cells[ $i ], $w[ $f ] ) . ' |';
					}
					return $s;
				};
				echo $sep, "\n", $line( $fields ), "\n", $sep, "\n";
				foreach ( $rows as $row ) {
					echo $line( array_values( $row ) ), "\n";
				}
				echo $sep, "\n";
				break;
			default:
				\WP_CLI::error( "Invalid format: $format" );
		}
	}
}
