<?php
/**
 * WP-CLI: wp mulopimfwc bulk-sync <file>|- [--async], wp mulopimfwc export
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Bulk-syncs location inventory and prices from a JSON or CSV file; exports them.
 */
class Mulopimfwc_Bulk_Sync_CLI_Command {

	const CSV_COLUMNS = array( 'sku', 'product_id', 'location_slug', 'location_id', 'stock', 'regular_price', 'sale_price' );

	/**
	 * Engine.
	 *
	 * @var Mulopimfwc_Bulk_Sync_Engine
	 */
	private $engine;

	/**
	 * Constructor.
	 *
	 * @param Mulopimfwc_Bulk_Sync_Engine|null $engine Engine.
	 */
	public function __construct( $engine = null ) {
		$this->engine = $engine ? $engine : new Mulopimfwc_Bulk_Sync_Engine();
	}

	/**
	 * Syncs stock and prices per location from a file, like the REST endpoint does.
	 *
	 * ## OPTIONS
	 *
	 * <file>
	 * : A JSON file with the REST body (`{"items": [...]}`), or a CSV file with a header row
	 * (sku,product_id,location_slug,location_id,stock,regular_price,sale_price). With --async also NDJSON (one
	 * item per line). `-` reads standard input.
	 *
	 * [--input-format=<format>]
	 * : Format of the input. Default: from the file name (.csv is CSV, .json JSON, with --async .ndjson and .jsonl
	 * NDJSON), else detected from the content. ndjson needs --async.
	 * ---
	 * options:
	 *   - auto
	 *   - json
	 *   - ndjson
	 *   - csv
	 * default: auto
	 * ---
	 *
	 * [--async]
	 * : Do not sync now: queue the file as a job (read as a stream, stored in the database in chunks) that Action
	 * Scheduler's runners (WP-Cron, `wp action-scheduler run`) or `wp mulopimfwc jobs run <id>` work; each chunk
	 * is applied exactly once. Prints the job id; follow it with `wp mulopimfwc jobs status <id>`. --format and
	 * --timings do not apply.
	 *
	 * [--porcelain]
	 * : With --async: print the job id alone.
	 *
	 * [--chunk-size=<n>]
	 * : Items sent to the engine per transaction (a positive integer; default 1000, with --async the filter
	 * mulopimfwc_job_chunk_size, 5000). Capped at the engine's item limit per request (filter
	 * mulopimfwc_max_bulk_sync_items; default 100000 with the native engine, 1000 with the PHP one).
	 *
	 * [--dry-run]
	 * : Validate and resolve every item, write nothing. A JSON file's own `"dry_run": true` does the same.
	 *
	 * [--format=<format>]
	 * : How to print the items that failed.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - csv
	 * ---
	 *
	 * [--timings]
	 * : After the summary, print to STDERR how long each phase took, in milliseconds summed over the chunks: the
	 * engine's parse, resolve, lock, read, plan and write, the plugin's follow-ons (caches, lookup tables and hooks
	 * after each chunk, and the completion action) and the command's total. The same names as the REST routes'
	 * Server-Timing header.
	 *
	 * ## EXAMPLES
	 *
	 *     # Sync from the ERP's export
	 *     $ wp mulopimfwc bulk-sync stock.csv
	 *     Success: Processed 1200 items. 1200 succeeded, 0 failed.
	 *
	 *     # Check a file without writing anything, errors as JSON
	 *     $ wp mulopimfwc bulk-sync body.json --dry-run --format=json
	 *
	 *     # Read the REST body from standard input
	 *     $ cat body.json | wp mulopimfwc bulk-sync -
	 *
	 *     # Where the time goes
	 *     $ wp mulopimfwc bulk-sync stock.csv --timings
	 *
	 *     # A large file as a job, worked by Action Scheduler
	 *     $ wp mulopimfwc bulk-sync stock.ndjson --async
	 *     Success: Job 12 queued: 50000 items in 10 chunks.
	 *
	 * @subcommand bulk-sync
	 *
	 * @param array $args       Positional arguments.
	 * @param array $assoc_args Options.
	 */
	public function bulk_sync( $args, $assoc_args ) {
		$started    = microtime( true );
		$timings    = array();
		$print_time = ! empty( $assoc_args['timings'] );
		$file       = isset( $args[0] ) ? (string) $args[0] : '-';
		$chunk_size = self::chunk_size_option( $assoc_args );
		if ( is_wp_error( $chunk_size ) ) {
			WP_CLI::error( $chunk_size->get_error_message() );
			return;
		}
		if ( ! empty( $assoc_args['async'] ) ) {
			$this->queue_job( $file, $assoc_args, array_key_exists( 'chunk-size', $assoc_args ) ? $chunk_size : 0 );
			return;
		}
		if ( isset( $assoc_args['input-format'] ) && 'ndjson' === $assoc_args['input-format'] ) {
			WP_CLI::error( __( '--input-format=ndjson needs --async.', 'mulopimfwc-bulk-sync' ) );
			return;
		}
		$content = self::read_input( $file );
		if ( is_wp_error( $content ) ) {
			WP_CLI::error( $content->get_error_message() );
			return;
		}

		$input_format = isset( $assoc_args['input-format'] ) ? $assoc_args['input-format'] : 'auto';
		if ( 'auto' === $input_format ) {
			$input_format = self::format_from_name( $file );
			if ( ! in_array( $input_format, array( 'csv', 'json' ), true ) ) {
				$input_format = preg_match( '/^\s*[\{\[]/', $content ) ? 'json' : 'csv';
			}
		}
		$body_dry = false;
		if ( 'csv' === $input_format ) {
			$items = self::parse_csv( $content );
		} else {
			$body = self::parse_json_body( $content );
			if ( is_wp_error( $body ) ) {
				WP_CLI::error( $body->get_error_message() );
				return;
			}
			$items    = $body['items'];
			$body_dry = $body['dry_run'];
		}
		if ( is_wp_error( $items ) ) {
			WP_CLI::error( $items->get_error_message() );
			return;
		}

		// The file's own "dry_run": true holds for every chunk, as --dry-run does.
		$dry_run    = ! empty( $assoc_args['dry-run'] ) || $body_dry;
		$format     = isset( $assoc_args['format'] ) ? $assoc_args['format'] : 'table';
		$engine_arg = $dry_run ? array( 'dry_run' => true ) : array();
		$context    = array(
			'source'         => 'cli',
			'fire_completed' => false, // Fired once below, with the totals of the whole file.
		);

		// A chunk is one engine request: never more items than the engine takes in one.
		$max = (int) $this->engine->max_items( $this->engine->uses_native() );
		if ( $max > 0 && $chunk_size > $max ) {
			/* translators: 1: the chunk size asked for, 2: the engine's item limit. */
			WP_CLI::debug( sprintf( __( '--chunk-size=%1$d is above the engine\'s limit of %2$d items per request: chunks of %2$d.', 'mulopimfwc-bulk-sync' ), $chunk_size, $max ), 'mulopimfwc' );
			$chunk_size = $max;
		}

		$total    = count( $items );
		$chunks   = array_chunk( $items, $chunk_size );
		$totals   = self::empty_totals( $dry_run );
		$failures = array();
		$progress = self::progress_bar(
			/* translators: %d: number of items. */
			sprintf( __( 'Syncing %d items', 'mulopimfwc-bulk-sync' ), $total ),
			$total
		);
		$offset = 0;
		foreach ( $chunks as $chunk ) {
			// One chunk holding the whole JSON body: hand the engine the body itself, exactly as REST does.
			$payload = ( 'json' === $input_format && 1 === count( $chunks ) ) ? $content : array( 'items' => $chunk );
			$result  = $this->engine->run( $payload, $engine_arg, $context );
			$timings = Mulopimfwc_Bulk_Sync_Engine::add_timings( $timings, (array) $this->engine->last_timings() );
			if ( is_wp_error( $result ) ) {
				$progress->finish();
				if ( $offset > 0 && ! $dry_run ) {
					// What the chunks before this one wrote stays written: listeners hear about it.
					self::fire_completed( $totals, $file, $offset, true );
				}
				if ( $print_time ) {
					self::print_timings( $timings, $started );
				}
				WP_CLI::error(
					sprintf(
						/* translators: 1: first item number of the chunk, 2: error message. */
						__( 'Chunk starting at item %1$d failed: %2$s', 'mulopimfwc-bulk-sync' ),
						$offset + 1,
						$result->get_error_message()
					)
				);
				return;
			}
			$totals = self::add_to_totals( $totals, $result, $offset, count( $chunk ) );
			foreach ( (array) $result['results']['items_failed'] as $failure ) {
				$failures[] = array(
					'item'    => $offset + (int) $failure['index'],
					'code'    => $failure['code'],
					'field'   => (string) $failure['field'],
					'message' => $failure['message'],
				);
			}
			$offset += count( $chunk );
			$progress->tick( count( $chunk ) );
		}
		$progress->finish();

		if ( ! $dry_run ) {
			$follow_ons = microtime( true );
			self::fire_completed( $totals, $file, $total, false );
			$timings = Mulopimfwc_Bulk_Sync_Engine::add_timings( $timings, array( 'follow-ons' => ( microtime( true ) - $follow_ons ) * 1000 ) );
		}

		$summary = $totals['message'];
		if ( $dry_run ) {
			$summary .= ' ' . __( '(dry run: nothing was written)', 'mulopimfwc-bulk-sync' );
		}
		if ( $failures ) {
			\WP_CLI\Utils\format_items( $format, $failures, array( 'item', 'code', 'field', 'message' ) );
			if ( $print_time ) {
				self::print_timings( $timings, $started );
			}
			WP_CLI::error( $summary );
			return;
		}
		WP_CLI::success( $summary );
		if ( $print_time ) {
			self::print_timings( $timings, $started );
		}
	}

	/**
	 * --async: the file (never read whole into memory: it may be gigabytes) or standard input becomes a job
	 * (Mulopimfwc_Bulk_Sync_Jobs::create()); prints its id.
	 *
	 * @param string $file       Path or `-`.
	 * @param array  $assoc_args Options.
	 * @param int    $chunk_size --chunk-size, or 0 for the job default.
	 */
	private function queue_job( $file, $assoc_args, $chunk_size ) {
		$format = isset( $assoc_args['input-format'] ) ? (string) $assoc_args['input-format'] : 'auto';
		if ( 'auto' === $format ) {
			$format = self::format_from_name( $file );
		}
		if ( '-' === $file ) {
			$stream = STDIN;
		} else {
			if ( is_dir( $file ) ) {
				/* translators: %s: path. */
				WP_CLI::error( sprintf( __( '%s is a directory, not a file.', 'mulopimfwc-bulk-sync' ), $file ) );
				return;
			}
			$stream = is_readable( $file ) ? fopen( $file, 'rb' ) : false; // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fopen
			if ( ! $stream ) {
				/* translators: %s: file path. */
				WP_CLI::error( sprintf( __( 'Cannot read %s.', 'mulopimfwc-bulk-sync' ), $file ) );
				return;
			}
		}
		$user = get_current_user_id();
		$args = array(
			'source'    => 'cli',
			'principal' => $user > 0 ? 'user:' . $user : 'cli',
			'file_name' => '-' === $file ? '' : wp_basename( $file ),
			'dry_run'   => ! empty( $assoc_args['dry-run'] ),
		);
		if ( $chunk_size > 0 ) {
			$args['chunk_size'] = (int) $chunk_size;
		}
		$job = Mulopimfwc_Bulk_Sync_Jobs::create( $stream, $format, $args );
		if ( STDIN !== $stream ) {
			fclose( $stream ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fclose
		}
		if ( is_wp_error( $job ) ) {
			WP_CLI::error( $job->get_error_message() );
			return;
		}
		if ( ! empty( $assoc_args['porcelain'] ) ) {
			WP_CLI::line( (string) (int) $job['id'] );
			return;
		}
		$message = sprintf(
			/* translators: 1: job id, 2: items in the file, 3: chunks. */
			_n( 'Job %1$d queued: %2$d items in %3$d chunk.', 'Job %1$d queued: %2$d items in %3$d chunks.', (int) $job['chunks']['total'], 'mulopimfwc-bulk-sync' ),
			(int) $job['id'],
			(int) $job['items']['total'],
			(int) $job['chunks']['total']
		);
		if ( ! empty( $job['dry_run'] ) ) {
			$message .= ' ' . __( '(dry run: nothing will be written)', 'mulopimfwc-bulk-sync' );
		}
		WP_CLI::success( $message );
	}

	/**
	 * The input format a file's extension names: csv (.csv), json (.json), ndjson (.ndjson, .jsonl), else auto
	 * (also for standard input).
	 *
	 * @param string $file Path or `-`.
	 * @return string
	 */
	private static function format_from_name( $file ) {
		if ( '-' !== $file && preg_match( '/\.(csv|json|ndjson|jsonl)$/i', $file, $m ) ) {
			$ext = strtolower( $m[1] );
			return 'jsonl' === $ext ? 'ndjson' : $ext;
		}
		return 'auto';
	}

	/**
	 * --timings: each phase's milliseconds (summed over the chunks) on STDERR, one per line, in the order of the
	 * Server-Timing header; `total` is the command's, from its start.
	 *
	 * @param array $timings Milliseconds by name (Mulopimfwc_Bulk_Sync_Engine::add_timings()).
	 * @param float $started microtime( true ) when the command started.
	 */
	private static function print_timings( array $timings, $started ) {
		$sum = 0.0;
		foreach ( $timings as $name => $ms ) {
			if ( 'total' !== $name ) {
				$sum += (float) $ms;
			}
		}
		$timings['total'] = max( $sum, ceil( ( microtime( true ) - $started ) * 1000000 ) / 1000 );
		$lines            = array( __( 'Timings (milliseconds, summed over the chunks):', 'mulopimfwc-bulk-sync' ) );
		foreach ( Mulopimfwc_Bulk_Sync_Engine::TIMING_NAMES as $name ) {
			$ms      = isset( $timings[ $name ] ) ? (float) $timings[ $name ] : 0.0;
			$lines[] = sprintf( '  %-11s %12.3F', $name, $ms );
		}
		fwrite( STDERR, implode( "\n", $lines ) . "\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fwrite
	}

	/**
	 * --chunk-size: a positive integer (default 1000).
	 *
	 * @param array $assoc_args Options.
	 * @return int|WP_Error
	 */
	private static function chunk_size_option( $assoc_args ) {
		if ( ! array_key_exists( 'chunk-size', $assoc_args ) ) {
			return 1000;
		}
		$v = $assoc_args['chunk-size'];
		if ( is_int( $v ) && $v > 0 ) {
			return $v;
		}
		if ( is_string( $v ) && preg_match( '/^\s*\+?0*([1-9][0-9]{0,8})\s*$/', $v, $m ) ) {
			return (int) $m[1];
		}
		return new WP_Error(
			'mulopimfwc_cli_chunk_size',
			sprintf(
				/* translators: %s: the value given. */
				__( '--chunk-size must be a positive integer (items per engine request), not "%s".', 'mulopimfwc-bulk-sync' ),
				is_scalar( $v ) && true !== $v ? (string) $v : ''
			)
		);
	}

	/**
	 * The input's text: the file, or standard input for `-`; a UTF-8 BOM removed.
	 *
	 * @param string $file Path or `-`.
	 * @return string|WP_Error
	 */
	private static function read_input( $file ) {
		if ( '-' === $file ) {
			$content = stream_get_contents( STDIN );
			$name    = __( 'Standard input', 'mulopimfwc-bulk-sync' );
		} else {
			if ( is_dir( $file ) ) {
				/* translators: %s: path. */
				return new WP_Error( 'mulopimfwc_cli_input', sprintf( __( '%s is a directory, not a file.', 'mulopimfwc-bulk-sync' ), $file ) );
			}
			if ( ! is_readable( $file ) ) {
				/* translators: %s: file path. */
				return new WP_Error( 'mulopimfwc_cli_input', sprintf( __( 'Cannot read %s.', 'mulopimfwc-bulk-sync' ), $file ) );
			}
			$content = file_get_contents( $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents
			$name    = $file;
		}
		if ( false === $content ) {
			/* translators: %s: file path. */
			return new WP_Error( 'mulopimfwc_cli_input', sprintf( __( 'Cannot read %s.', 'mulopimfwc-bulk-sync' ), '-' === $file ? __( 'the input', 'mulopimfwc-bulk-sync' ) : $file ) );
		}
		if ( 0 === strncmp( $content, "\xEF\xBB\xBF", 3 ) ) {
			$content = (string) substr( $content, 3 );
		}
		if ( '' === trim( $content ) ) {
			/* translators: %s: file path, or "Standard input". */
			return new WP_Error( 'mulopimfwc_cli_input', sprintf( __( '%s is empty: nothing to sync.', 'mulopimfwc-bulk-sync' ), $name ) );
		}
		return $content;
	}

	/**
	 * A progress bar on STDERR when STDERR is a terminal (progress never goes into the data on STDOUT), else a
	 * no-op with the same methods.
	 *
	 * @param string $message Label.
	 * @param int    $count   Total.
	 * @return Mulopimfwc_Bulk_Sync_CLI_Progress
	 */
	private static function progress_bar( $message, $count ) {
		return new Mulopimfwc_Bulk_Sync_CLI_Progress( $message, $count );
	}

	/**
	 * Totals of a command before its first chunk: the shape of an engine result.
	 *
	 * @param bool $dry_run Whether nothing is written.
	 * @return array
	 */
	private static function empty_totals( $dry_run ) {
		return array(
			'success'             => true,
			/* translators: 1: items processed, 2: items that succeeded, 3: items that failed. */
			'message'             => sprintf( __( 'Processed %1$d items. %2$d succeeded, %3$d failed.', 'mulopimfwc-bulk-sync' ), 0, 0, 0 ),
			'results'             => array(
				'success'      => 0,
				'failed'       => 0,
				'errors'       => array(),
				'items_failed' => array(),
			),
			'changed_product_ids' => array(),
			'stock_changes'       => array(),
			'dry_run'             => (bool) $dry_run,
			'engine'              => '',
			'processed'           => 0,
		);
	}

	/**
	 * Adds one chunk's result to the totals; items are numbered over the whole file.
	 *
	 * @param array $totals Totals so far.
	 * @param array $result The chunk's engine result.
	 * @param int   $offset Items before this chunk.
	 * @param int   $count  Items in this chunk.
	 * @return array
	 */
	private static function add_to_totals( array $totals, array $result, $offset, $count ) {
		$totals['processed']          += (int) $count;
		$totals['results']['success'] += (int) $result['results']['success'];
		$totals['results']['failed']  += (int) $result['results']['failed'];
		foreach ( (array) $result['results']['items_failed'] as $failure ) {
			$failure['index']                      = $offset + (int) $failure['index'];
			$totals['results']['items_failed'][]   = $failure;
			$totals['results']['errors'][]         = sprintf(
				/* translators: 1: item number (from 1), 2: error message. */
				__( 'Item %1$d: %2$s', 'mulopimfwc-bulk-sync' ),
				$failure['index'],
				$failure['message']
			);
		}
		$totals['changed_product_ids'] = array_values( array_unique( array_merge( $totals['changed_product_ids'], array_map( 'intval', (array) ( isset( $result['changed_product_ids'] ) ? $result['changed_product_ids'] : array() ) ) ) ) );
		$totals['stock_changes']       = array_merge( $totals['stock_changes'], (array) ( isset( $result['stock_changes'] ) ? $result['stock_changes'] : array() ) );
		if ( isset( $result['changes'] ) && is_array( $result['changes'] ) ) {
			foreach ( $result['changes'] as $k => $v ) {
				if ( is_int( $v ) || is_float( $v ) ) {
					$totals['changes'][ $k ] = ( isset( $totals['changes'][ $k ] ) ? $totals['changes'][ $k ] : 0 ) + $v;
				}
			}
		}
		if ( isset( $result['engine'] ) ) {
			$totals['engine'] = $result['engine'];
		}
		if ( ! empty( $result['dry_run'] ) ) {
			$totals['dry_run'] = true;
		}
		$totals['message'] = sprintf(
			/* translators: 1: items processed, 2: items that succeeded, 3: items that failed. */
			__( 'Processed %1$d items. %2$d succeeded, %3$d failed.', 'mulopimfwc-bulk-sync' ),
			$totals['processed'],
			$totals['results']['success'],
			$totals['results']['failed']
		);
		return $totals;
	}

	/**
	 * Fires mulopimfwc_bulk_sync_completed once for the command, with the totals of every chunk written.
	 *
	 * @param array  $totals  Totals (the shape of an engine result).
	 * @param string $file    The input (`-`: standard input).
	 * @param int    $items   Items processed.
	 * @param bool   $aborted Whether a later chunk failed as a whole (the command ends with an error).
	 */
	private static function fire_completed( array $totals, $file, $items, $aborted ) {
		unset( $totals['processed'] );
		/** This action is documented in includes/class-cache.php */
		do_action(
			'mulopimfwc_bulk_sync_completed',
			$totals,
			array(
				'source'  => 'cli',
				'items'   => (int) $items,
				'file'    => (string) $file,
				'aborted' => (bool) $aborted,
			)
		);
	}

	/**
	 * Exports stock and prices per location for the whole catalogue, page by page, to a file or standard output.
	 *
	 * One row per published product (a variable product: per variation) and location, with the fields of
	 * GET /wp-json/mulopimfwc/v1/inventory/export: product_id, sku, product_name, location_id, location_slug,
	 * location_name, stock, regular_price, sale_price, backorders, disabled. Uses the native engine's
	 * mulopimfwc_export() when the extension is loaded, else the plugin's set-based PHP export.
	 *
	 * ## OPTIONS
	 *
	 * [--location_id=<id>]
	 * : Only this location (term id).
	 *
	 * [--file=<path>]
	 * : Write to this file (replaced). Default: standard output.
	 *
	 * [--per-page=<n>]
	 * : Rows read per page (1 to 10000).
	 * ---
	 * default: 1000
	 * ---
	 *
	 * [--format=<format>]
	 * : csv (with a UTF-8 BOM and the header row, as the REST export), json (one JSON array) or jsonl (one JSON
	 * object per line).
	 * ---
	 * default: csv
	 * options:
	 *   - csv
	 *   - json
	 *   - jsonl
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     # The whole catalogue as CSV
	 *     $ wp mulopimfwc export --file=inventory.csv
	 *     Success: Exported 12000 rows to inventory.csv.
	 *
	 *     # One location as JSON lines, to standard output
	 *     $ wp mulopimfwc export --location_id=17 --format=jsonl
	 *
	 * @subcommand export
	 *
	 * @param array $args       Positional arguments.
	 * @param array $assoc_args Options.
	 */
	public function export( $args, $assoc_args ) {
		$format   = isset( $assoc_args['format'] ) ? strtolower( (string) $assoc_args['format'] ) : 'csv';
		$per_page = isset( $assoc_args['per-page'] ) ? (int) $assoc_args['per-page'] : 1000;
		if ( ! in_array( $format, array( 'csv', 'json', 'jsonl' ), true ) ) {
			/* translators: %s: format. */
			WP_CLI::error( sprintf( __( 'Invalid format %s: csv, json or jsonl.', 'mulopimfwc-bulk-sync' ), $format ) );
			return;
		}
		if ( $per_page < 1 || $per_page > Mulopimfwc_Bulk_Sync_Export::MAX_PER_PAGE ) {
			/* translators: %d: the largest page size. */
			WP_CLI::error( sprintf( __( '--per-page must be between 1 and %d.', 'mulopimfwc-bulk-sync' ), Mulopimfwc_Bulk_Sync_Export::MAX_PER_PAGE ) );
			return;
		}
		$params = array( 'per_page' => $per_page );
		if ( isset( $assoc_args['location_id'] ) ) {
			$loc = Mulopimfwc_Bulk_Sync_PHP_Engine::parse_positive_int( (string) $assoc_args['location_id'] );
			if ( null === $loc ) {
				WP_CLI::error( __( '--location_id must be a positive integer.', 'mulopimfwc-bulk-sync' ) );
				return;
			}
			$params['location_id'] = $loc;
		}
		$file = isset( $assoc_args['file'] ) && true !== $assoc_args['file'] ? (string) $assoc_args['file'] : '';
		$out  = null;
		if ( '' !== $file ) {
			$out = @fopen( $file, 'wb' ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fopen, WordPress.PHP.NoSilencedErrors.Discouraged
			if ( ! $out ) {
				/* translators: %s: file path. */
				WP_CLI::error( sprintf( __( 'Cannot write %s.', 'mulopimfwc-bulk-sync' ), $file ) );
				return;
			}
		}
		$write = static function ( $text ) use ( $out ) {
			if ( $out ) {
				fwrite( $out, $text ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fwrite
			} else {
				echo $text; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped
			}
		};
		$close = static function () use ( $out ) {
			if ( $out ) {
				fclose( $out ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fclose
			}
		};
		$flags = JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES;

		$page     = 1;
		$written  = 0;
		$progress = null;
		while ( true ) {
			$params['page'] = $page;
			$result         = $this->engine->export( $params );
			if ( is_wp_error( $result ) ) {
				if ( $progress ) {
					$progress->finish();
				}
				$close();
				/* translators: 1: page number, 2: error message. */
				WP_CLI::error( sprintf( __( 'Export of page %1$d failed: %2$s', 'mulopimfwc-bulk-sync' ), $page, $result->get_error_message() ) );
				return;
			}
			$total = (int) $result['total'];
			if ( 1 === $page ) {
				$progress = self::progress_bar(
					/* translators: %d: number of rows. */
					sprintf( __( 'Exporting %d rows', 'mulopimfwc-bulk-sync' ), $total ),
					$total
				);
				if ( 'csv' === $format ) {
					$write( Mulopimfwc_Bulk_Sync_Export::to_csv( array(), true ) );
				} elseif ( 'json' === $format ) {
					$write( '[' );
				}
			}
			$rows = array_values( (array) $result['data'] );
			if ( 'csv' === $format ) {
				$write( Mulopimfwc_Bulk_Sync_Export::to_csv( $rows, false ) );
			} else {
				foreach ( $rows as $i => $row ) {
					$json = wp_json_encode( $row, $flags );
					if ( 'json' === $format ) {
						$write( ( $written + $i > 0 ? ",\n" : "\n" ) . $json );
					} else {
						$write( $json . "\n" );
					}
				}
			}
			$written += count( $rows );
			$progress->tick( count( $rows ) );
			if ( ! $rows || $page * $per_page >= $total ) {
				break;
			}
			++$page;
		}
		if ( 'json' === $format ) {
			$write( $written ? "\n]\n" : "]\n" );
		}
		$close();
		$progress->finish();
		if ( '' !== $file ) {
			/* translators: 1: number of rows, 2: file path. */
			WP_CLI::success( sprintf( __( 'Exported %1$d rows to %2$s.', 'mulopimfwc-bulk-sync' ), $written, $file ) );
		}
		// To standard output: the data alone (no success line mixed into it).
	}

	/**
	 * Items from a JSON body (`{"items": [...]}`); numbers keep their exact text through the engine.
	 *
	 * @param string $content JSON.
	 * @return array|WP_Error
	 */
	public static function parse_json( $content ) {
		$body = self::parse_json_body( $content );
		return is_wp_error( $body ) ? $body : $body['items'];
	}

	/**
	 * A JSON body (`{"items": [...], "dry_run": true|false}`): its items (numbers keep their exact text through the
	 * engine) and its dry_run flag (absent or null: false; anything but a boolean is an error, as the REST route
	 * answers it).
	 *
	 * @param string $content JSON (a UTF-8 BOM is skipped).
	 * @return array|WP_Error array( 'items' => array, 'dry_run' => bool )
	 */
	public static function parse_json_body( $content ) {
		if ( 0 === strncmp( $content, "\xEF\xBB\xBF", 3 ) ) {
			$content = (string) substr( $content, 3 );
		}
		if ( '' === trim( $content ) ) {
			return new WP_Error( 'invalid_data', __( 'The JSON input is empty.', 'mulopimfwc-bulk-sync' ) );
		}
		$data = json_decode( $content, false, 512, JSON_BIGINT_AS_STRING );
		if ( JSON_ERROR_NONE !== json_last_error() ) {
			$error  = json_last_error_msg();
			$offset = self::json_error_offset( $content );
			if ( null === $offset ) {
				/* translators: %s: the JSON parser's message. */
				return new WP_Error( 'invalid_data', sprintf( __( 'The JSON input is not valid JSON: %s.', 'mulopimfwc-bulk-sync' ), $error ) );
			}
			$before = (string) substr( $content, 0, $offset );
			$line   = substr_count( $before, "\n" ) + 1;
			$nl     = strrpos( $before, "\n" );
			$column = ( false === $nl ? $offset : $offset - $nl - 1 ) + 1;
			return new WP_Error(
				'invalid_data',
				$offset >= strlen( $content )
					/* translators: 1: line, 2: column, 3: byte offset. */
					? sprintf( __( 'The JSON input ends too early: syntax error at line %1$d, column %2$d (byte %3$d, the end of the input).', 'mulopimfwc-bulk-sync' ), $line, $column, $offset )
					/* translators: 1: line, 2: column, 3: byte offset. */
					: sprintf( __( 'The JSON input is not valid JSON: syntax error at line %1$d, column %2$d (byte %3$d).', 'mulopimfwc-bulk-sync' ), $line, $column, $offset )
			);
		}
		if ( ! ( $data instanceof stdClass ) || ! isset( $data->items ) || ! is_array( $data->items ) ) {
			return new WP_Error( 'invalid_data', __( 'The JSON input must be an object with an "items" array.', 'mulopimfwc-bulk-sync' ) );
		}
		$dry_run = property_exists( $data, 'dry_run' ) ? $data->dry_run : null;
		if ( null !== $dry_run && ! is_bool( $dry_run ) ) {
			return new WP_Error( 'invalid_data', __( 'Invalid dry_run in the JSON input: use true or false. Nothing was written.', 'mulopimfwc-bulk-sync' ) );
		}
		// Keep prices exact: re-read number tokens as strings for the price fields.
		$exact = json_decode( self::quote_price_numbers( $content ), false, 512, JSON_BIGINT_AS_STRING );
		if ( $exact instanceof stdClass && isset( $exact->items ) && is_array( $exact->items ) && count( $exact->items ) === count( $data->items ) ) {
			$data = $exact;
		}
		$items = array();
		foreach ( $data->items as $item ) {
			$items[] = $item instanceof stdClass ? get_object_vars( $item ) : $item;
		}
		return array(
			'items'   => $items,
			'dry_run' => true === $dry_run,
		);
	}

	/**
	 * The byte offset of the first JSON syntax error in $s (RFC 8259), or null when the scanner finds none (the
	 * error is then one PHP's parser alone reports, such as invalid UTF-8 or too deep nesting).
	 *
	 * @param string $s JSON text.
	 * @return int|null
	 */
	public static function json_error_offset( $s ) {
		$n     = strlen( $s );
		$i     = 0;
		$stack = array(); // Open containers: '{' or '['.
		$ws    = static function () use ( $s, $n, &$i ) {
			while ( $i < $n && false !== strpos( " \t\r\n", $s[ $i ] ) ) {
				++$i;
			}
		};
		// A scalar at $i: advances $i past it, or returns false at the offending byte.
		$scalar = static function () use ( $s, $n, &$i ) {
			if ( '"' === $s[ $i ] ) {
				++$i;
				while ( $i < $n ) {
					$c = $s[ $i ];
					if ( '"' === $c ) {
						++$i;
						return true;
					}
					if ( ord( $c ) < 0x20 ) {
						return false;
					}
					if ( '\\' === $c ) {
						++$i;
						if ( $i >= $n ) {
							return false;
						}
						if ( 'u' === $s[ $i ] ) {
							if ( ! preg_match( '/\G[0-9a-fA-F]{4}/', $s, $m, 0, $i + 1 ) ) {
								++$i;
								while ( $i < $n && ctype_xdigit( $s[ $i ] ) ) {
									++$i;
								}
								return false;
							}
							$i += 5;
							continue;
						}
						if ( false === strpos( '"\\/bfnrt', $s[ $i ] ) ) {
							return false;
						}
					}
					++$i;
				}
				return false;
			}
			if ( preg_match( '/\G(?:true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/', $s, $m, 0, $i ) ) {
				$end = $i + strlen( $m[0] );
				// A literal or number must not run on into letters or digits ("truex", "01").
				if ( $end < $n && preg_match( '/[A-Za-z0-9_.+-]/', $s[ $end ] ) ) {
					$i = $end;
					return false;
				}
				$i = $end;
				return true;
			}
			// How far a wrong token reaches: its first byte is the error.
			return false;
		};

		$ws();
		$expect = 'value'; // value | key | colon | comma-or-close | value-or-close | key-or-close | end
		while ( true ) {
			$ws();
			if ( $i >= $n ) {
				return 'end' === $expect ? null : $n;
			}
			$c = $s[ $i ];
			switch ( $expect ) {
				case 'end':
					return $i;
				case 'value':
				case 'value-or-close':
					if ( 'value-or-close' === $expect && ']' === $c ) {
						array_pop( $stack );
						++$i;
						$expect = $stack ? 'comma-or-close' : 'end';
						break;
					}
					if ( '{' === $c || '[' === $c ) {
						$stack[] = $c;
						++$i;
						$expect  = '{' === $c ? 'key-or-close' : 'value-or-close';
						break;
					}
					if ( ! $scalar() ) {
						return min( $i, $n );
					}
					$expect = $stack ? 'comma-or-close' : 'end';
					break;
				case 'key':
				case 'key-or-close':
					if ( 'key-or-close' === $expect && '}' === $c ) {
						array_pop( $stack );
						++$i;
						$expect = $stack ? 'comma-or-close' : 'end';
						break;
					}
					if ( '"' !== $c ) {
						return $i;
					}
					if ( ! $scalar() ) {
						return min( $i, $n );
					}
					$expect = 'colon';
					break;
				case 'colon':
					if ( ':' !== $c ) {
						return $i;
					}
					++$i;
					$expect = 'value';
					break;
				case 'comma-or-close':
					$top = end( $stack );
					if ( ',' === $c ) {
						++$i;
						$expect = '{' === $top ? 'key' : 'value';
						break;
					}
					if ( ( '{' === $top && '}' === $c ) || ( '[' === $top && ']' === $c ) ) {
						array_pop( $stack );
						++$i;
						$expect = $stack ? 'comma-or-close' : 'end';
						break;
					}
					return $i;
			}
		}
	}

	/**
	 * Quote JSON numbers that are the values of regular_price / sale_price, keeping their text.
	 *
	 * @param string $json JSON text.
	 * @return string
	 */
	public static function quote_price_numbers( $json ) {
		$out = preg_replace_callback(
			'/"((?:[^"\\\\]++|\\\\.)*+)"(?:(\s*:\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))?/s',
			static function ( $m ) {
				if ( isset( $m[3] ) && '' !== $m[3] && in_array( $m[1], array( 'regular_price', 'sale_price' ), true ) ) {
					return '"' . $m[1] . '"' . $m[2] . '"' . $m[3] . '"';
				}
				return $m[0];
			},
			$json
		);
		return null === $out ? $json : $out;
	}

	/**
	 * Items from CSV with a header row; empty cells are left out.
	 *
	 * @param string $content CSV.
	 * @return array|WP_Error
	 */
	public static function parse_csv( $content ) {
		$content = preg_replace( '/^\xEF\xBB\xBF/', '', $content );
		$handle  = fopen( 'php://temp', 'r+' ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fopen
		fwrite( $handle, $content ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fwrite
		rewind( $handle );
		$header = fgetcsv( $handle, 0, ',', '"', '' );
		if ( ! is_array( $header ) ) {
			return new WP_Error( 'invalid_data', __( 'The CSV input has no header row.', 'mulopimfwc-bulk-sync' ) );
		}
		$header = array_map(
			static function ( $h ) {
				return strtolower( trim( (string) $h ) );
			},
			$header
		);
		if ( ! array_intersect( $header, self::CSV_COLUMNS ) ) {
			return new WP_Error(
				'invalid_data',
				/* translators: %s: the expected column names. */
				sprintf( __( 'The CSV header row must name some of: %s.', 'mulopimfwc-bulk-sync' ), implode( ',', self::CSV_COLUMNS ) )
			);
		}
		$items = array();
		while ( false !== ( $row = fgetcsv( $handle, 0, ',', '"', '' ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition.FoundInWhileCondition
			if ( array( null ) === $row ) {
				continue; // Blank line.
			}
			$item = array();
			foreach ( $header as $i => $column ) {
				if ( '' === $column || ! isset( $row[ $i ] ) || '' === $row[ $i ] ) {
					continue;
				}
				$item[ $column ] = $row[ $i ];
			}
			$items[] = $item;
		}
		fclose( $handle ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fclose
		return $items;
	}
}

/**
 * A progress bar in WP-CLI's style (`Syncing 500 items  40 % [=====>      ] 0:01 / 0:03`) drawn on STDERR, only
 * when STDERR is a terminal: progress never goes into the data a command prints on STDOUT (`wp mulopimfwc export >
 * file.csv` on a terminal shows the bar, the file holds the data alone). SHELL_PIPE, as WP-CLI reads it, switches
 * it off too. (WP-CLI's own bar writes to STDOUT; php-cli-tools' Streams::setStream() closes the stream it was
 * given at shutdown, so it cannot be pointed at STDERR.)
 */
class Mulopimfwc_Bulk_Sync_CLI_Progress {

	/**
	 * Label.
	 *
	 * @var string
	 */
	private $message;

	/**
	 * Total steps.
	 *
	 * @var int
	 */
	private $total;

	/**
	 * Steps done.
	 *
	 * @var int
	 */
	private $current = 0;

	/**
	 * Start time (microtime).
	 *
	 * @var float
	 */
	private $start;

	/**
	 * Time of the last drawing, or 0.
	 *
	 * @var float
	 */
	private $drawn = 0.0;

	/**
	 * Whether the bar is drawn at all.
	 *
	 * @var bool
	 */
	private $on;

	/**
	 * Constructor.
	 *
	 * @param string $message Label.
	 * @param int    $total   Total steps.
	 */
	public function __construct( $message, $total ) {
		$this->message = (string) $message;
		$this->total   = max( 0, (int) $total );
		$this->start   = microtime( true );
		$this->on      = self::enabled();
	}

	/**
	 * Whether STDERR is a terminal to draw on.
	 *
	 * @return bool
	 */
	public static function enabled() {
		if ( ! defined( 'STDERR' ) ) {
			return false;
		}
		$pipe = getenv( 'SHELL_PIPE' );
		if ( false !== $pipe ) {
			return ! filter_var( $pipe, FILTER_VALIDATE_BOOLEAN );
		}
		if ( function_exists( 'stream_isatty' ) ) {
			return stream_isatty( STDERR );
		}
		return function_exists( 'posix_isatty' ) && posix_isatty( STDERR );
	}

	/**
	 * Advances the bar (drawn at most every 100 ms).
	 *
	 * @param int $n Steps.
	 */
	public function tick( $n = 1 ) {
		$this->current = min( max( $this->total, 1 ), $this->current + max( 0, (int) $n ) );
		$now           = microtime( true );
		if ( $this->on && $now - $this->drawn >= 0.1 ) {
			$this->drawn = $now;
			$this->draw();
		}
	}

	/**
	 * Draws the bar full and ends its line.
	 */
	public function finish() {
		if ( $this->on ) {
			$this->current = max( $this->total, 1 );
			$this->draw();
			fwrite( STDERR, "\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fwrite
			$this->on = false;
		}
	}

	/**
	 * One drawing: "\r", the label, the percentage, the bar, elapsed / estimated time.
	 */
	private function draw() {
		$fraction = $this->total > 0 ? min( 1, $this->current / $this->total ) : 1;
		$elapsed  = microtime( true ) - $this->start;
		$estimate = $fraction > 0 ? $elapsed / $fraction : 0;
		$time     = static function ( $secs ) {
			$secs = (int) round( $secs );
			return sprintf( '%d:%02d', intdiv( $secs, 60 ), $secs % 60 );
		};
		$head     = sprintf( '%s  %s%% [', $this->message, str_pad( (string) floor( $fraction * 100 ), 3 ) );
		$tail     = '] ' . $time( $elapsed ) . ' / ' . $time( $estimate );
		$columns  = (int) getenv( 'COLUMNS' );
		if ( $columns < 1 && class_exists( '\cli\Shell' ) ) {
			$columns = (int) \cli\Shell::columns();
		}
		$size = max( 0, ( $columns > 0 ? $columns : 80 ) - strlen( $head . $tail ) );
		$bar  = substr( str_pad( str_repeat( '=', (int) floor( $fraction * $size ) ) . '>', $size ), 0, $size );
		fwrite( STDERR, "\r" . $head . $bar . $tail ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fwrite
	}
}
