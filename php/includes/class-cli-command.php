<?php
/**
 * WP-CLI: wp mulopimfwc bulk-sync <file>|-, wp mulopimfwc export
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
	 * (sku,product_id,location_slug,location_id,stock,regular_price,sale_price). `-` reads standard input.
	 *
	 * [--input-format=<format>]
	 * : Format of the input. Default: from the file name (.csv is CSV), else detected from the content.
	 * ---
	 * options:
	 *   - auto
	 *   - json
	 *   - csv
	 * default: auto
	 * ---
	 *
	 * [--chunk-size=<n>]
	 * : Items sent to the engine per transaction.
	 * ---
	 * default: 1000
	 * ---
	 *
	 * [--dry-run]
	 * : Validate and resolve every item, write nothing.
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
	 * @subcommand bulk-sync
	 *
	 * @param array $args       Positional arguments.
	 * @param array $assoc_args Options.
	 */
	public function bulk_sync( $args, $assoc_args ) {
		$file = isset( $args[0] ) ? (string) $args[0] : '-';
		if ( '-' === $file ) {
			$content = stream_get_contents( STDIN );
		} else {
			if ( ! is_readable( $file ) ) {
				/* translators: %s: file path. */
				WP_CLI::error( sprintf( __( 'Cannot read %s.', 'mulopimfwc-bulk-sync' ), $file ) );
				return;
			}
			$content = file_get_contents( $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents
		}
		if ( false === $content ) {
			WP_CLI::error( __( 'Cannot read the input.', 'mulopimfwc-bulk-sync' ) );
			return;
		}

		$input_format = isset( $assoc_args['input-format'] ) ? $assoc_args['input-format'] : 'auto';
		if ( 'auto' === $input_format ) {
			$input_format = ( '-' !== $file && preg_match( '/\.csv$/i', $file ) ) ? 'csv' : ( preg_match( '/^\s*[\{\[]/', $content ) ? 'json' : 'csv' );
		}
		$items = 'csv' === $input_format ? self::parse_csv( $content ) : self::parse_json( $content );
		if ( is_wp_error( $items ) ) {
			WP_CLI::error( $items->get_error_message() );
			return;
		}

		$chunk_size = isset( $assoc_args['chunk-size'] ) ? max( 1, (int) $assoc_args['chunk-size'] ) : 1000;
		$dry_run    = ! empty( $assoc_args['dry-run'] );
		$format     = isset( $assoc_args['format'] ) ? $assoc_args['format'] : 'table';
		$engine_arg = $dry_run ? array( 'dry_run' => true ) : array();

		$total    = count( $items );
		$ok       = 0;
		$failures = array();
		$progress = \WP_CLI\Utils\make_progress_bar(
			/* translators: %d: number of items. */
			sprintf( __( 'Syncing %d items', 'mulopimfwc-bulk-sync' ), $total ),
			$total
		);
		$offset = 0;
		foreach ( array_chunk( $items, $chunk_size ) as $chunk ) {
			// One chunk holding the whole JSON body: hand the engine the body itself, exactly as REST does.
			$payload = ( 'json' === $input_format && count( $chunk ) === $total ) ? $content : array( 'items' => $chunk );
			$result  = $this->engine->run( $payload, $engine_arg );
			if ( is_wp_error( $result ) ) {
				$progress->finish();
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
			if ( ! $dry_run ) {
				Mulopimfwc_Bulk_Sync_Cache::after_sync(
					$result,
					array(
						'source' => 'cli',
						'items'  => count( $chunk ),
					)
				);
			}
			$ok += (int) $result['results']['success'];
			foreach ( (array) $result['results']['items_failed'] as $failure ) {
				$failures[] = array(
					'item'    => $offset + (int) $failure['index'],
					'code'    => $failure['code'],
					'field'   => (string) $failure['field'],
					'message' => $failure['message'],
				);
			}
			$offset += count( $chunk );
			for ( $i = 0, $n = count( $chunk ); $i < $n; $i++ ) {
				$progress->tick();
			}
		}
		$progress->finish();

		$summary = sprintf(
			/* translators: 1: items processed, 2: items that succeeded, 3: items that failed. */
			__( 'Processed %1$d items. %2$d succeeded, %3$d failed.', 'mulopimfwc-bulk-sync' ),
			$total,
			$ok,
			count( $failures )
		);
		if ( $dry_run ) {
			$summary .= ' ' . __( '(dry run: nothing was written)', 'mulopimfwc-bulk-sync' );
		}
		if ( $failures ) {
			\WP_CLI\Utils\format_items( $format, $failures, array( 'item', 'code', 'field', 'message' ) );
			WP_CLI::error( $summary );
			return;
		}
		WP_CLI::success( $summary );
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
				$progress = \WP_CLI\Utils\make_progress_bar(
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
		// Decode through the engine's exact-number decoder by handing each item over as JSON text.
		$data = json_decode( $content, false, 512, JSON_BIGINT_AS_STRING );
		if ( JSON_ERROR_NONE !== json_last_error() || ! ( $data instanceof stdClass ) || ! isset( $data->items ) || ! is_array( $data->items ) ) {
			return new WP_Error( 'invalid_data', __( 'The JSON input must be an object with an "items" array.', 'mulopimfwc-bulk-sync' ) );
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
		return $items;
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
