<?php
/**
 * WP-CLI: wp mulopimfwc jobs list|status|cancel|run (bulk-sync jobs on Action Scheduler; created by
 * `wp mulopimfwc bulk-sync FILE --async` or POST /wp-json/mulopimfwc/v1/inventory/bulk-sync/jobs).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Lists, shows, cancels and runs bulk-sync jobs.
 *
 * A job is a bulk-sync file split into chunks, each one Action Scheduler action in group `mulopimfwc`.
 * WP-Cron, `wp action-scheduler run` or `wp mulopimfwc jobs run` work them; each chunk is applied once.
 */
class Mulopimfwc_Bulk_Sync_CLI_Jobs_Command {

	/**
	 * Columns of `jobs list`.
	 */
	const LIST_FIELDS = array( 'id', 'state', 'items', 'processed', 'succeeded', 'failed', 'created_at', 'finished_at' );

	/**
	 * Columns of a failed item in `jobs status` and `jobs run`.
	 */
	const FAILED_FIELDS = array( 'index', 'line', 'code', 'field', 'message' );

	/**
	 * Lists recent jobs, newest first.
	 *
	 * ## OPTIONS
	 *
	 * [--state=<state>]
	 * : Only jobs in this state.
	 * ---
	 * options:
	 *   - queued
	 *   - running
	 *   - done
	 *   - failed
	 *   - cancelled
	 * ---
	 *
	 * [--per_page=<n>]
	 * : How many jobs to list, newest first (1 to 100).
	 * ---
	 * default: 20
	 * ---
	 *
	 * [--format=<format>]
	 * : Output format. `ids` prints the job ids alone, separated by spaces.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - csv
	 *   - yaml
	 *   - ids
	 * ---
	 *
	 * ## AVAILABLE FIELDS
	 *
	 * id, state, items (in the file), processed, succeeded, failed, created_at, finished_at (UTC).
	 *
	 * ## EXAMPLES
	 *
	 *     # The last 20 jobs
	 *     $ wp mulopimfwc jobs list --format=csv
	 *     id,state,items,processed,succeeded,failed,created_at,finished_at
	 *     12,done,50000,50000,49990,10,2026-12-06T10:00:00Z,2026-12-06T10:01:02Z
	 *
	 *     # The ids of the jobs still waiting for a runner
	 *     $ wp mulopimfwc jobs list --state=queued --format=ids
	 *     13 14
	 *
	 * @subcommand list
	 *
	 * @param array $args       Positional arguments.
	 * @param array $assoc_args Options.
	 */
	public function list_( $args, $assoc_args ) {
		$per_page = self::positive_int( isset( $assoc_args['per_page'] ) ? $assoc_args['per_page'] : 20 );
		if ( null === $per_page ) {
			WP_CLI::error( __( '--per_page must be a positive integer.', 'mulopimfwc-bulk-sync' ) );
			return;
		}
		$query = array( 'per_page' => $per_page );
		if ( isset( $assoc_args['state'] ) ) {
			$query['state'] = (string) $assoc_args['state'];
		}
		$list = Mulopimfwc_Bulk_Sync_Jobs::list_jobs( $query );
		if ( is_wp_error( $list ) ) {
			WP_CLI::error( $list->get_error_message() );
			return;
		}
		$format = isset( $assoc_args['format'] ) ? (string) $assoc_args['format'] : 'table';
		$jobs   = isset( $list['jobs'] ) ? (array) $list['jobs'] : array();
		if ( 'ids' === $format ) {
			\WP_CLI\Utils\format_items( 'ids', array_map( 'intval', wp_list_pluck( $jobs, 'id' ) ), array( 'id' ) );
			return;
		}
		$rows = array();
		foreach ( $jobs as $job ) {
			$items  = isset( $job['items'] ) ? (array) $job['items'] : array();
			$rows[] = array(
				'id'          => (int) $job['id'],
				'state'       => (string) $job['state'],
				'items'       => (int) self::value( $items, 'total' ),
				'processed'   => (int) self::value( $items, 'processed' ),
				'succeeded'   => (int) self::value( $items, 'succeeded' ),
				'failed'      => (int) self::value( $items, 'failed' ),
				'created_at'  => self::value( $job, 'created_at', null ),
				'finished_at' => self::value( $job, 'finished_at', null ),
			);
		}
		\WP_CLI\Utils\format_items( $format, $rows, self::LIST_FIELDS );
	}

	/**
	 * Shows a job: its state, counts, timings and the items that failed (paged).
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The job id.
	 *
	 * [--page=<n>]
	 * : Page of the failed items (100 a page), in file order.
	 * ---
	 * default: 1
	 * ---
	 *
	 * [--format=<format>]
	 * : table: a summary, then the failed items of the page (index = item number in the file, line = its line in
	 * the file). json: the status exactly as GET /wp-json/mulopimfwc/v1/inventory/bulk-sync/jobs/<id> answers it.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - yaml
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     # How far job 12 is
	 *     $ wp mulopimfwc jobs status 12
	 *
	 *     # The second page of its failed items, as JSON
	 *     $ wp mulopimfwc jobs status 12 --page=2 --format=json
	 *
	 * @param array $args       Positional arguments.
	 * @param array $assoc_args Options.
	 */
	public function status( $args, $assoc_args ) {
		$id   = self::job_id( $args );
		$page = self::positive_int( isset( $assoc_args['page'] ) ? $assoc_args['page'] : 1 );
		if ( null === $page ) {
			WP_CLI::error( __( '--page must be a positive integer.', 'mulopimfwc-bulk-sync' ) );
			return;
		}
		$status = Mulopimfwc_Bulk_Sync_Jobs::get( $id, $page );
		if ( is_wp_error( $status ) ) {
			WP_CLI::error( $status->get_error_message() );
			return;
		}
		self::print_status( $status, isset( $assoc_args['format'] ) ? (string) $assoc_args['format'] : 'table' );
	}

	/**
	 * Cancels a job: its chunks that have not started never run.
	 *
	 * A chunk already being written finishes. A finished job (done or failed) cannot be cancelled.
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The job id.
	 *
	 * ## EXAMPLES
	 *
	 *     $ wp mulopimfwc jobs cancel 12
	 *     Success: Job 12 cancelled: 6 of 10 chunks will not run.
	 *
	 * @param array $args       Positional arguments.
	 * @param array $assoc_args Options.
	 */
	public function cancel( $args, $assoc_args ) {
		$id     = self::job_id( $args );
		$status = Mulopimfwc_Bulk_Sync_Jobs::cancel( $id );
		if ( is_wp_error( $status ) ) {
			WP_CLI::error( $status->get_error_message() );
			return;
		}
		$chunks = isset( $status['chunks'] ) ? (array) $status['chunks'] : array();
		WP_CLI::success(
			sprintf(
				/* translators: 1: job id, 2: chunks that will not run, 3: chunks of the job. */
				__( 'Job %1$d cancelled: %2$d of %3$d chunks will not run.', 'mulopimfwc-bulk-sync' ),
				$id,
				(int) self::value( $chunks, 'cancelled' ),
				(int) self::value( $chunks, 'total' )
			)
		);
	}

	/**
	 * Works a job in the foreground, with a progress bar, then prints its status.
	 *
	 * Every chunk still pending, in file order, one engine call each (for operators who prefer a terminal to
	 * WP-Cron). Action Scheduler runners may work other chunks of the job meanwhile; no chunk is applied twice.
	 * The bar is drawn on STDERR, only on a terminal.
	 *
	 * Exits with an error when the job ends failed, cancelled or with failed items.
	 *
	 * ## OPTIONS
	 *
	 * <id>
	 * : The job id.
	 *
	 * [--format=<format>]
	 * : How to print the status at the end (as `wp mulopimfwc jobs status`, first page of the failed items).
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - yaml
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     # Queue a file, then work it here with a progress bar
	 *     $ wp mulopimfwc bulk-sync stock.ndjson --async --porcelain
	 *     12
	 *     $ wp mulopimfwc jobs run 12
	 *
	 * @param array $args       Positional arguments.
	 * @param array $assoc_args Options.
	 */
	public function run( $args, $assoc_args ) {
		$id     = self::job_id( $args );
		$format = isset( $assoc_args['format'] ) ? (string) $assoc_args['format'] : 'table';
		$before = Mulopimfwc_Bulk_Sync_Jobs::get( $id, 1, 1 );
		if ( is_wp_error( $before ) ) {
			WP_CLI::error( $before->get_error_message() );
			return;
		}
		$items    = (array) $before['items'];
		$progress = new Mulopimfwc_Bulk_Sync_CLI_Progress(
			/* translators: 1: job id, 2: number of items. */
			sprintf( __( 'Job %1$d: %2$d items', 'mulopimfwc-bulk-sync' ), $id, (int) self::value( $items, 'total' ) ),
			(int) self::value( $items, 'total' )
		);
		$status = Mulopimfwc_Bulk_Sync_Jobs::work(
			$id,
			static function ( $n ) use ( $progress ) {
				$progress->tick( (int) $n );
			}
		);
		$progress->finish();
		if ( is_wp_error( $status ) ) {
			WP_CLI::error( $status->get_error_message() );
			return;
		}
		self::print_status( $status, $format );
		$sentence = self::sentence( $status );
		$failed   = (int) self::value( (array) $status['items'], 'failed' );
		if ( in_array( $status['state'], array( 'failed', 'cancelled' ), true ) || $failed > 0 ) {
			WP_CLI::error( $sentence );
			return;
		}
		WP_CLI::success( $sentence );
	}

	/**
	 * Prints a status array: json exactly as it is; yaml; table as a summary then the failed items of its page.
	 *
	 * @param array  $status Mulopimfwc_Bulk_Sync_Jobs::get().
	 * @param string $format table|json|yaml.
	 */
	private static function print_status( array $status, $format ) {
		if ( 'json' === $format ) {
			WP_CLI::line( (string) wp_json_encode( $status, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) );
			return;
		}
		if ( 'yaml' === $format ) {
			WP_CLI::print_value( $status, array( 'format' => 'yaml' ) );
			return;
		}
		\WP_CLI\Utils\format_items( 'table', self::summary_rows( $status ), array( 'Field', 'Value' ) );
		$failed = isset( $status['items_failed'] ) ? (array) $status['items_failed'] : array();
		if ( ! $failed ) {
			return;
		}
		WP_CLI::line(
			sprintf(
				/* translators: 1: page number, 2: number of pages, 3: failed items in all. */
				__( 'Failed items, page %1$d of %2$d (%3$d in all):', 'mulopimfwc-bulk-sync' ),
				(int) self::value( $status, 'failed_page', 1 ),
				(int) self::value( $status, 'failed_pages', 1 ),
				(int) self::value( $status, 'failed_total', count( $failed ) )
			)
		);
		$rows = array();
		foreach ( $failed as $f ) {
			$f   = (array) $f;
			$row = array();
			foreach ( self::FAILED_FIELDS as $k ) {
				$row[ $k ] = isset( $f[ $k ] ) && is_scalar( $f[ $k ] ) ? (string) $f[ $k ] : '';
			}
			$rows[] = $row;
		}
		\WP_CLI\Utils\format_items( 'table', $rows, self::FAILED_FIELDS );
	}

	/**
	 * The summary table of a status: Field / Value rows.
	 *
	 * @param array $status Status array.
	 * @return array
	 */
	private static function summary_rows( array $status ) {
		$items   = isset( $status['items'] ) ? (array) $status['items'] : array();
		$chunks  = isset( $status['chunks'] ) ? (array) $status['chunks'] : array();
		$timings = isset( $status['timings'] ) ? (array) $status['timings'] : array();
		$none    = '-';
		$values  = array(
			'id'           => (string) (int) $status['id'],
			'state'        => (string) $status['state'],
			'format'       => (string) self::value( $status, 'format' ),
			'dry_run'      => ! empty( $status['dry_run'] ) ? __( 'yes', 'mulopimfwc-bulk-sync' ) : __( 'no', 'mulopimfwc-bulk-sync' ),
			'source'       => (string) self::value( $status, 'source' ),
			'file_name'    => (string) self::value( $status, 'file_name' ),
			'created_at'   => (string) self::value( $status, 'created_at', $none ),
			'started_at'   => (string) self::value( $status, 'started_at', $none ),
			'finished_at'  => (string) self::value( $status, 'finished_at', $none ),
			'cancelled_at' => (string) self::value( $status, 'cancelled_at', $none ),
			'items'        => sprintf(
				/* translators: 1: items in the file, 2: processed, 3: succeeded, 4: failed. */
				__( '%1$d total, %2$d processed, %3$d succeeded, %4$d failed', 'mulopimfwc-bulk-sync' ),
				(int) self::value( $items, 'total' ),
				(int) self::value( $items, 'processed' ),
				(int) self::value( $items, 'succeeded' ),
				(int) self::value( $items, 'failed' )
			),
			'chunks'       => sprintf(
				/* translators: 1: chunks, 2: items per chunk, 3: pending, 4: done, 5: failed, 6: cancelled. */
				__( '%1$d (up to %2$d items each): %3$d pending, %4$d done, %5$d failed, %6$d cancelled', 'mulopimfwc-bulk-sync' ),
				(int) self::value( $chunks, 'total' ),
				(int) self::value( $chunks, 'size' ),
				(int) self::value( $chunks, 'pending' ),
				(int) self::value( $chunks, 'done' ),
				(int) self::value( $chunks, 'failed' ),
				(int) self::value( $chunks, 'cancelled' )
			),
			'timings'      => sprintf(
				/* translators: 1: seconds queued before the first chunk ran, 2: seconds running, 3: items per second. */
				__( 'waited %1$s s, ran %2$s s, %3$s items/s', 'mulopimfwc-bulk-sync' ),
				(string) self::value( $timings, 'wait_seconds', $none ),
				(string) self::value( $timings, 'run_seconds', $none ),
				(string) self::value( $timings, 'items_per_second', $none )
			),
		);
		$rows = array();
		foreach ( $values as $field => $value ) {
			$rows[] = array(
				'Field' => $field,
				'Value' => '' === $value ? $none : $value,
			);
		}
		return $rows;
	}

	/**
	 * One sentence on a job: "Job 12 is done: 50000 of 50000 items processed, 49990 succeeded, 10 failed."
	 *
	 * @param array $status Status array.
	 * @return string
	 */
	private static function sentence( array $status ) {
		$items = (array) $status['items'];
		$text  = sprintf(
			/* translators: 1: job id, 2: state (queued, running, done, failed, cancelled), 3: processed, 4: items in the file, 5: succeeded, 6: failed. */
			__( 'Job %1$d is %2$s: %3$d of %4$d items processed, %5$d succeeded, %6$d failed.', 'mulopimfwc-bulk-sync' ),
			(int) $status['id'],
			(string) $status['state'],
			(int) self::value( $items, 'processed' ),
			(int) self::value( $items, 'total' ),
			(int) self::value( $items, 'succeeded' ),
			(int) self::value( $items, 'failed' )
		);
		if ( ! empty( $status['dry_run'] ) ) {
			$text .= ' ' . __( '(dry run: nothing was written)', 'mulopimfwc-bulk-sync' );
		}
		return $text;
	}

	/**
	 * The <id> argument: a positive integer, else the command ends with an error.
	 *
	 * @param array $args Positional arguments.
	 * @return int
	 */
	private static function job_id( $args ) {
		$id = self::positive_int( isset( $args[0] ) ? $args[0] : '' );
		if ( null === $id ) {
			WP_CLI::error( __( 'The job id must be a positive integer.', 'mulopimfwc-bulk-sync' ) );
		}
		return (int) $id;
	}

	/**
	 * A positive integer from an argument, or null.
	 *
	 * @param mixed $v Value.
	 * @return int|null
	 */
	private static function positive_int( $v ) {
		return Mulopimfwc_Bulk_Sync_PHP_Engine::parse_positive_int( $v );
	}

	/**
	 * $a[ $k ] when set and not null, else $default.
	 *
	 * @param array  $a       Array.
	 * @param string $k       Key.
	 * @param mixed  $default Default.
	 * @return mixed
	 */
	private static function value( array $a, $k, $default = '' ) {
		return isset( $a[ $k ] ) ? $a[ $k ] : $default;
	}
}
