<?php
/**
 * The intake of bulk-sync jobs: reads a request body or a file as a stream and cuts it into chunks.
 *
 * A body of millions of items is never held in memory whole: the stream is read in blocks of 64 KB, each item
 * is checked as it is read and handed on with the chunk it belongs to, and the callback stores the chunk (the
 * job tables of Mulopimfwc_Bulk_Sync_Jobs) before the next one fills. Memory stays bounded by about one chunk's
 * payload whatever the size of the body.
 *
 * Three formats:
 * - `json`: the bulk-sync body, `{"items": [...], "dry_run": false}`. A streaming tokenizer finds the top-level
 *   object's "items" array and hands on each element's raw JSON text (prices stay exact: nothing is decoded and
 *   encoded again). The whole document's syntax is checked; an error anywhere is a 400 naming its line, column
 *   and byte offset.
 * - `ndjson`: one item per line; a line that is not JSON fails that item only (`invalid_json`).
 * - `csv`: the CSV format of `wp mulopimfwc bulk-sync` (a header row naming columns, one item per row); a row
 *   with more cells than the header fails that item only (`invalid_csv_row`).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Streams a body into chunks of items for a bulk-sync job.
 */
class Mulopimfwc_Bulk_Sync_Job_Intake {

	/**
	 * Bytes read from the stream at a time.
	 */
	const BLOCK_SIZE = 65536;

	/**
	 * The CSV columns the engine knows; a copy of Mulopimfwc_Bulk_Sync_CLI_Command::CSV_COLUMNS, used when the
	 * CLI command is not loaded (outside WP-CLI). Keep the two identical.
	 */
	const CSV_COLUMNS = array( 'sku', 'product_id', 'location_slug', 'location_id', 'stock', 'regular_price', 'sale_price' );

	/**
	 * The UTF-8 byte order mark.
	 */
	const BOM = "\xEF\xBB\xBF";

	/**
	 * Media types by format (the parameters, `; charset=utf-8`, are ignored).
	 */
	const MEDIA_TYPES = array(
		'application/json'                  => 'json',
		'application/x-ndjson'              => 'ndjson',
		'application/ndjson'                => 'ndjson',
		'application/jsonl'                 => 'ndjson',
		'application/x-jsonlines'           => 'ndjson',
		'application/jsonlines'             => 'ndjson',
		'text/csv'                          => 'csv',
		'application/csv'                   => 'csv',
		'text/plain'                        => 'auto',
		'application/octet-stream'          => 'auto',
		'application/x-www-form-urlencoded' => 'auto',
	);

	/**
	 * The stream read.
	 *
	 * @var resource
	 */
	private $stream;

	/**
	 * Bytes read ahead (format sniffing) and not consumed yet.
	 *
	 * @var string
	 */
	private $pending = '';

	/**
	 * Whether the stream has ended.
	 *
	 * @var bool
	 */
	private $eof = false;

	/**
	 * The SHA-256 context over every byte read.
	 *
	 * @var HashContext
	 */
	private $hash;

	/**
	 * Items per chunk.
	 *
	 * @var int
	 */
	private $chunk_size;

	/**
	 * The most items a chunk may grow to so as not to split a run of one product's items.
	 *
	 * @var int
	 */
	private $max_chunk_items;

	/**
	 * The most items of the body (0: no limit).
	 *
	 * @var int
	 */
	private $max_items;

	/**
	 * The chunk callback.
	 *
	 * @var callable
	 */
	private $on_chunk;

	/**
	 * Raw JSON text of the valid items of the chunk being filled.
	 *
	 * @var string[]
	 */
	private $raws = array();

	/**
	 * Line of each item of the chunk being filled (null for a JSON document).
	 *
	 * @var array
	 */
	private $lines = array();

	/**
	 * Rejected items of the chunk being filled.
	 *
	 * @var array
	 */
	private $rejected = array();

	/**
	 * Items (rejected ones included) of the chunk being filled.
	 *
	 * @var int
	 */
	private $count = 0;

	/**
	 * Item number of the chunk's first item.
	 *
	 * @var int
	 */
	private $first_item = 1;

	/**
	 * Chunks handed on.
	 *
	 * @var int
	 */
	private $chunk_no = 0;

	/**
	 * Product of the last item: array( sku, product_id ) normalised, null for a rejected item.
	 *
	 * @var array|null
	 */
	private $last_product = null;

	/**
	 * Items read (rejected ones included).
	 *
	 * @var int
	 */
	private $items_total = 0;

	/**
	 * Items rejected.
	 *
	 * @var int
	 */
	private $rejected_total = 0;

	/**
	 * Whether lines are recorded (NDJSON, CSV) or not (JSON document).
	 *
	 * @var bool
	 */
	private $with_lines = true;

	/**
	 * JSON document: the buffer of the tokenizer.
	 *
	 * @var string
	 */
	private $buf = '';

	/**
	 * JSON document: the tokenizer's position in $buf.
	 *
	 * @var int
	 */
	private $p = 0;

	/**
	 * JSON document: byte offset in the body of $buf[0].
	 *
	 * @var int
	 */
	private $base_byte = 0;

	/**
	 * JSON document: newlines in the body before $buf[0].
	 *
	 * @var int
	 */
	private $base_line = 0;

	/**
	 * JSON document: byte offset in the body of the last newline before $buf[0] (-1: none).
	 *
	 * @var int
	 */
	private $base_last_nl = -1;

	/**
	 * The format for a request's Content-Type.
	 *
	 * @param string|null $content_type The Content-Type header (null or '' when absent).
	 * @return string|WP_Error 'json', 'ndjson', 'csv' or 'auto'; WP_Error unsupported_media_type (415) else.
	 */
	public static function format_for_content_type( $content_type ) {
		$type = strtolower( trim( explode( ';', (string) $content_type, 2 )[0] ) );
		if ( '' === $type ) {
			return 'auto';
		}
		if ( isset( self::MEDIA_TYPES[ $type ] ) ) {
			return self::MEDIA_TYPES[ $type ];
		}
		if ( '+json' === substr( $type, -5 ) && false !== strpos( $type, '/' ) ) {
			return 'json';
		}
		return new WP_Error(
			'unsupported_media_type',
			sprintf(
				/* translators: 1: the Content-Type received, 2: the accepted media types. */
				__( 'Unsupported Content-Type "%1$s". Send one of: %2$s.', 'mulopimfwc-bulk-sync' ),
				$type,
				implode( ', ', array_keys( self::MEDIA_TYPES ) ) . ', */*+json'
			),
			array( 'status' => 415 )
		);
	}

	/**
	 * Reads a body as a stream and hands it on in chunks.
	 *
	 * @param resource $stream     A readable stream (php://input, a file).
	 * @param string   $format     'json', 'ndjson', 'csv' or 'auto' (sniffed from the first bytes).
	 * @param int      $chunk_size Items per chunk (at least 1).
	 * @param callable $on_chunk   Called in order with each chunk as it fills (and with the last one): array(
	 *                             'chunk_no' (0-based), 'first_item' (1-based item number in the body), 'items'
	 *                             (rejected ones included), 'payload' ('{"items":[...]}' of the valid items' raw
	 *                             JSON text), 'rejected' (array of index, line, code, field, message), 'lines'
	 *                             (line of each item; null for a JSON document) );
	 *                             returns true, or a WP_Error that ends the read and is returned.
	 * @param array    $opts       'max_items' (int, 0: no limit), 'max_chunk_items' (int, default $chunk_size).
	 * @return array|WP_Error array( 'format', 'items', 'chunks', 'rejected', 'dry_run', 'sha256' ), or a WP_Error
	 *                        (invalid_data 400, too_many_items 400, or the callback's) — chunks handed on before
	 *                        an error are then to be discarded by the caller.
	 */
	public static function read( $stream, $format, $chunk_size, $on_chunk, $opts = array() ) {
		$intake = new self( $stream, $chunk_size, $on_chunk, $opts );
		return $intake->run( $format );
	}

	/**
	 * Constructor.
	 *
	 * @param resource $stream     Stream.
	 * @param int      $chunk_size Items per chunk.
	 * @param callable $on_chunk   Chunk callback.
	 * @param array    $opts       Options.
	 */
	private function __construct( $stream, $chunk_size, $on_chunk, $opts ) {
		$this->stream          = $stream;
		$this->hash            = hash_init( 'sha256' );
		$this->chunk_size      = max( 1, (int) $chunk_size );
		$this->max_chunk_items = max( $this->chunk_size, (int) ( isset( $opts['max_chunk_items'] ) ? $opts['max_chunk_items'] : 0 ) );
		$this->max_items       = max( 0, (int) ( isset( $opts['max_items'] ) ? $opts['max_items'] : 0 ) );
		$this->on_chunk        = $on_chunk;
	}

	/**
	 * Runs the read.
	 *
	 * @param string $format Format.
	 * @return array|WP_Error
	 */
	private function run( $format ) {
		if ( ! is_resource( $this->stream ) ) {
			return self::invalid( __( 'The body cannot be read.', 'mulopimfwc-bulk-sync' ) );
		}
		if ( 'auto' === $format ) {
			$format = $this->sniff();
			if ( 'empty' === $format ) {
				return self::invalid( __( 'The body is empty: no items.', 'mulopimfwc-bulk-sync' ) );
			}
		}
		$dry_run = false;
		if ( 'json' === $format ) {
			$this->with_lines = false;
			$result           = $this->read_json_document();
			if ( is_wp_error( $result ) ) {
				return $result;
			}
			$dry_run = $result;
		} elseif ( 'ndjson' === $format ) {
			$result = $this->read_ndjson();
		} elseif ( 'csv' === $format ) {
			$result = $this->read_csv();
		} else {
			return self::invalid(
				/* translators: %s: the format asked for. */
				sprintf( __( 'Unknown input format "%s".', 'mulopimfwc-bulk-sync' ), (string) $format )
			);
		}
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		$flushed = $this->flush();
		if ( is_wp_error( $flushed ) ) {
			return $flushed;
		}
		// Drain what is left (a CSV or NDJSON read stops at the end already; this only keeps the hash whole).
		while ( '' !== $this->next_block() ) {
			continue;
		}
		return array(
			'format'   => $format,
			'items'    => $this->items_total,
			'chunks'   => $this->chunk_no,
			'rejected' => $this->rejected_total,
			'dry_run'  => (bool) $dry_run,
			'sha256'   => hash_final( $this->hash ),
		);
	}

	/**
	 * The next block of the body ('' at the end).
	 *
	 * @return string
	 */
	private function next_block() {
		if ( '' !== $this->pending ) {
			$block         = $this->pending;
			$this->pending = '';
			return $block;
		}
		if ( $this->eof ) {
			return '';
		}
		$block = fread( $this->stream, self::BLOCK_SIZE ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fread
		if ( false === $block || '' === $block ) {
			$this->eof = true;
			return '';
		}
		hash_update( $this->hash, $block );
		return $block;
	}

	/**
	 * Sniffs the format of the body: '{' first with "items" as first key is a JSON document; '{' otherwise is
	 * NDJSON, unless the first line is no JSON value on its own or is an object with "items" (a JSON document
	 * whose first key is another one); anything else is CSV; 'empty' when there is nothing but white space.
	 *
	 * @return string
	 */
	private function sniff() {
		$head = '';
		while ( true ) {
			$block = $this->next_block();
			$head .= $block;
			$start = ( 0 === strncmp( $head, self::BOM, 3 ) ) ? 3 : 0;
			$start += strspn( $head, " \t\r\n", $start );
			if ( '' === $block || $start < strlen( $head ) ) {
				break;
			}
		}
		if ( ! isset( $head[ $start ] ) || '{' !== $head[ $start ] ) {
			$this->pending = $head;
			return isset( $head[ $start ] ) ? 'csv' : 'empty';
		}
		$key_at = $start + 1 + strspn( $head, " \t\r\n", $start + 1 );
		// Enough bytes to see the first key, and the first line (up to 1 MB), or the end.
		while ( '' !== $block && strlen( $head ) < $key_at + 8 ) {
			$block = $this->next_block();
			$head .= $block;
		}
		if ( '"items"' === substr( $head, $key_at, 7 ) ) {
			$this->pending = $head;
			return 'json';
		}
		while ( '' !== $block && false === strpos( $head, "\n", $start ) && strlen( $head ) < 1048576 ) {
			$block = $this->next_block();
			$head .= $block;
		}
		$nl            = strpos( $head, "\n", $start );
		$first         = false === $nl ? substr( $head, $start ) : substr( $head, $start, $nl - $start );
		$value         = json_decode( $first, true, 512, JSON_BIGINT_AS_STRING );
		$this->pending = $head;
		if ( JSON_ERROR_NONE !== json_last_error()
			|| ( is_array( $value ) && isset( $value['items'] ) && is_array( $value['items'] ) && ( false === $nl || '' === trim( substr( $head, $nl ) ) ) ) ) {
			return 'json';
		}
		return 'ndjson';
	}

	/**
	 * The lines of the body, split as it streams, a block's worth at a time (the "\n" removed, a "\r" before it
	 * kept; a BOM removed). A body that ends with "\n" ends with an empty line.
	 *
	 * @return Generator Number (1-based) of the batch's first line => lines.
	 */
	private function line_batches() {
		$block = $this->next_block();
		while ( '' !== $block && strlen( $block ) < 3 ) {
			$next = $this->next_block();
			if ( '' === $next ) {
				break;
			}
			$block .= $next;
		}
		if ( 0 === strncmp( $block, self::BOM, 3 ) ) {
			$block = (string) substr( $block, 3 );
		}
		$carry = '';
		$no    = 0;
		$first = true;
		while ( $first || '' !== ( $block = $this->next_block() ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition.FoundInWhileCondition
			$first = false;
			$nl    = strrpos( $block, "\n" );
			if ( false === $nl ) {
				$carry .= $block; // A line longer than a block goes on.
				continue;
			}
			$lines = explode( "\n", $carry . substr( $block, 0, $nl ) );
			$carry = (string) substr( $block, $nl + 1 );
			yield $no + 1 => $lines;
			$no += count( $lines );
		}
		if ( '' !== $carry || $no > 0 ) {
			yield $no + 1 => array( $carry );
		}
	}

	/**
	 * NDJSON: every non-blank line is an item.
	 *
	 * @return true|WP_Error
	 */
	private function read_ndjson() {
		$valid = 0;
		foreach ( $this->line_batches() as $first_no => $lines ) {
			foreach ( $lines as $i => $line ) {
				if ( '' === $line || strspn( $line, " \t\r" ) === strlen( $line ) ) {
					continue;
				}
				$no = $first_no + $i;
				if ( "\r" === substr( $line, -1 ) ) {
					$line = substr( $line, 0, -1 );
				}
				$value = json_decode( $line, true, 512, JSON_BIGINT_AS_STRING );
				if ( null === $value && JSON_ERROR_NONE !== json_last_error() ) {
					$added = $this->add_rejected(
						$no,
						'invalid_json',
						/* translators: 1: line number, 2: the JSON parser's message. */
						sprintf( __( 'Line %1$d is not valid JSON: %2$s', 'mulopimfwc-bulk-sync' ), $no, json_last_error_msg() )
					);
				} else {
					++$valid;
					$added = $this->add_item( $line, $no, $value );
				}
				if ( true !== $added ) {
					return $added;
				}
			}
		}
		if ( 0 === $this->items_total ) {
			return self::invalid( __( 'The body is empty: no items.', 'mulopimfwc-bulk-sync' ) );
		}
		if ( 0 === $valid ) {
			return self::invalid( __( 'The body is not NDJSON: no line of it is a JSON value.', 'mulopimfwc-bulk-sync' ) );
		}
		return true;
	}

	/**
	 * The CSV columns the engine knows.
	 *
	 * @return string[]
	 */
	public static function csv_columns() {
		return class_exists( 'Mulopimfwc_Bulk_Sync_CLI_Command', false ) ? Mulopimfwc_Bulk_Sync_CLI_Command::CSV_COLUMNS : self::CSV_COLUMNS;
	}

	/**
	 * CSV: a header row naming columns (as the CLI's parse_csv reads it), then one item per row. Quoted fields may
	 * span lines; an item's line is the line its row starts on.
	 *
	 * @return true|WP_Error
	 */
	private function read_csv() {
		$header   = null;
		$record   = null;
		$start    = 0;
		$in_quote = false;
		foreach ( $this->line_batches() as $first_no => $lines ) {
			foreach ( $lines as $i => $line ) {
				if ( null === $record ) {
					if ( '' === $line || strspn( $line, " \t\r" ) === strlen( $line ) ) {
						continue; // Blank line.
					}
					$record = $line;
					$start  = $first_no + $i;
				} else {
					$record .= "\n" . $line;
				}
				if ( $in_quote || false !== strpos( $line, '"' ) ) {
					$in_quote = self::csv_open_after( $line, $in_quote );
					if ( $in_quote ) {
						continue; // A quoted field goes on on the next line.
					}
				}
				$added  = $this->add_csv_record( $header, $record, $start );
				$record = null;
				if ( true !== $added ) {
					return $added;
				}
			}
		}
		if ( null !== $record ) {
			$added = $this->add_csv_record( $header, $record, $start ); // A quoted field left open at the end.
			if ( true !== $added ) {
				return $added;
			}
		}
		if ( null === $header ) {
			return self::invalid( __( 'The CSV input has no header row.', 'mulopimfwc-bulk-sync' ) );
		}
		if ( 0 === $this->items_total ) {
			return self::invalid( __( 'The CSV input has no rows: no items.', 'mulopimfwc-bulk-sync' ) );
		}
		return true;
	}

	/**
	 * One CSV record (a row, maybe over several lines): the header when there is none yet, else an item.
	 *
	 * @param string[]|null $header Header (set from the first record).
	 * @param string        $record The record.
	 * @param int           $start  Line the record starts on.
	 * @return true|WP_Error
	 */
	private function add_csv_record( &$header, $record, $start ) {
		if ( "\r" === substr( $record, -1 ) ) {
			$record = substr( $record, 0, -1 );
		}
		$cells = str_getcsv( $record, ',', '"', '' );
		if ( null !== $header ) {
			return $this->add_csv_row( $header, $cells, $start );
		}
		$header = self::csv_header( $cells );
		if ( is_wp_error( $header ) ) {
			return $header;
		}
		return true;
	}

	/**
	 * The CSV header row, lower-cased and trimmed; WP_Error when it names none of the known columns.
	 *
	 * @param array $cells Cells of the first row.
	 * @return string[]|WP_Error
	 */
	private static function csv_header( $cells ) {
		$header = array_map(
			static function ( $h ) {
				return strtolower( trim( (string) $h ) );
			},
			$cells
		);
		$known  = self::csv_columns();
		if ( ! array_intersect( $header, $known ) ) {
			return self::invalid(
				/* translators: %s: the expected column names. */
				sprintf( __( 'The CSV header row must name some of: %s.', 'mulopimfwc-bulk-sync' ), implode( ',', $known ) )
			);
		}
		return $header;
	}

	/**
	 * One CSV data row as an item: a JSON object of strings, empty cells left out.
	 *
	 * @param string[] $header Header.
	 * @param array    $cells  Cells.
	 * @param int      $line   Line the row starts on.
	 * @return true|WP_Error
	 */
	private function add_csv_row( $header, $cells, $line ) {
		if ( count( $cells ) > count( $header ) ) {
			return $this->add_rejected(
				$line,
				'invalid_csv_row',
				/* translators: 1: line number, 2: cells of the row, 3: columns of the header. */
				sprintf( __( 'Line %1$d has %2$d cells, the header row %3$d.', 'mulopimfwc-bulk-sync' ), $line, count( $cells ), count( $header ) )
			);
		}
		$item = array();
		foreach ( $header as $i => $column ) {
			if ( '' === $column || ! isset( $cells[ $i ] ) || '' === $cells[ $i ] ) {
				continue;
			}
			$item[ $column ] = $cells[ $i ];
		}
		$raw = json_encode( (object) $item, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES ); // phpcs:ignore WordPress.WP.AlternativeFunctions.json_encode_json_encode
		if ( false === $raw ) {
			return $this->add_rejected(
				$line,
				'invalid_csv_row',
				/* translators: %d: line number. */
				sprintf( __( 'Line %d is not valid UTF-8.', 'mulopimfwc-bulk-sync' ), $line )
			);
		}
		return $this->add_item( $raw, $line, $item );
	}

	/**
	 * Whether a CSV record is inside a quoted field at the end of a line (fgetcsv's rule: a field is quoted when
	 * its first non-space character is the quote; "" inside is a quote; after the closing quote the field runs on
	 * to the delimiter).
	 *
	 * @param string $line     The line.
	 * @param bool   $in_quote Whether the line starts inside a quoted field.
	 * @return bool
	 */
	private static function csv_open_after( $line, $in_quote ) {
		$i   = 0;
		$len = strlen( $line );
		while ( true ) {
			if ( $in_quote ) {
				$q = strpos( $line, '"', $i );
				if ( false === $q ) {
					return true;
				}
				if ( $q + 1 < $len && '"' === $line[ $q + 1 ] ) {
					$i = $q + 2;
					continue;
				}
				$in_quote = false;
				$i        = $q + 1;
			} else {
				$i += strspn( $line, " \t\r", $i );
				if ( $i < $len && '"' === $line[ $i ] ) {
					$in_quote = true;
					++$i;
					continue;
				}
			}
			$comma = strpos( $line, ',', $i );
			if ( false === $comma ) {
				return false;
			}
			$i = $comma + 1;
		}
	}

	/**
	 * JSON document: reads the top-level object, hands on the elements of its "items" array.
	 *
	 * @return bool|WP_Error The document's dry_run, or the error.
	 */
	private function read_json_document() {
		$this->more();
		while ( ! $this->eof && strlen( $this->buf ) < 3 ) {
			$this->more();
		}
		if ( 0 === strncmp( $this->buf, self::BOM, 3 ) ) {
			$this->p = 3;
		}
		if ( ! $this->skip_ws() ) {
			return self::invalid( __( 'The body is empty: no items.', 'mulopimfwc-bulk-sync' ) );
		}
		if ( '{' !== $this->buf[ $this->p ] ) {
			return $this->syntax_error( $this->p, __( 'the body must be a JSON object with an "items" array', 'mulopimfwc-bulk-sync' ) );
		}
		++$this->p;
		$dry_run    = false;
		$seen_items = false;
		if ( ! $this->skip_ws() ) {
			return $this->syntax_error( $this->p, __( 'unexpected end of the document', 'mulopimfwc-bulk-sync' ) );
		}
		if ( '}' === $this->buf[ $this->p ] ) {
			++$this->p;
		} else {
			while ( true ) {
				if ( '"' !== $this->buf[ $this->p ] ) {
					return $this->syntax_error( $this->p, __( 'expected a key (a string in double quotes)', 'mulopimfwc-bulk-sync' ) );
				}
				$key = $this->read_value();
				if ( is_wp_error( $key ) ) {
					return $key;
				}
				if ( ! $this->skip_ws() || ':' !== $this->buf[ $this->p ] ) {
					return $this->syntax_error( $this->p, __( 'expected ":" after a key', 'mulopimfwc-bulk-sync' ) );
				}
				++$this->p;
				if ( ! $this->skip_ws() ) {
					return $this->syntax_error( $this->p, __( 'unexpected end of the document', 'mulopimfwc-bulk-sync' ) );
				}
				if ( 'items' === $key[1] ) {
					if ( $seen_items ) {
						return self::invalid( __( 'The JSON document has more than one "items" key.', 'mulopimfwc-bulk-sync' ) );
					}
					$seen_items = true;
					$read       = $this->read_items_array();
					if ( is_wp_error( $read ) ) {
						return $read;
					}
				} else {
					$value = $this->read_value();
					if ( is_wp_error( $value ) ) {
						return $value;
					}
					if ( 'dry_run' === $key[1] ) {
						if ( null !== $value[1] && ! is_bool( $value[1] ) ) {
							return self::invalid( __( 'The JSON document\'s "dry_run" must be true or false.', 'mulopimfwc-bulk-sync' ) );
						}
						$dry_run = (bool) $value[1];
					}
				}
				if ( ! $this->skip_ws() ) {
					return $this->syntax_error( $this->p, __( 'unexpected end of the document', 'mulopimfwc-bulk-sync' ) );
				}
				$c = $this->buf[ $this->p ];
				++$this->p;
				if ( '}' === $c ) {
					break;
				}
				if ( ',' !== $c || ! $this->skip_ws() ) {
					return $this->syntax_error( $this->p - 1, __( 'expected "," or "}" after a value', 'mulopimfwc-bulk-sync' ) );
				}
				$this->compact();
			}
		}
		if ( $this->skip_ws() ) {
			return $this->syntax_error( $this->p, __( 'unexpected data after the end of the document', 'mulopimfwc-bulk-sync' ) );
		}
		if ( ! $seen_items ) {
			return self::invalid( __( 'The JSON document has no "items" array.', 'mulopimfwc-bulk-sync' ) );
		}
		if ( 0 === $this->items_total ) {
			return self::invalid( __( 'The "items" array is empty: no items.', 'mulopimfwc-bulk-sync' ) );
		}
		return $dry_run;
	}

	/**
	 * JSON document: the "items" array, at its "[" (or the error when it is no array).
	 *
	 * @return true|WP_Error
	 */
	private function read_items_array() {
		if ( '[' !== $this->buf[ $this->p ] ) {
			return self::invalid( __( 'The JSON document\'s "items" must be an array.', 'mulopimfwc-bulk-sync' ) );
		}
		++$this->p;
		if ( ! $this->skip_ws() ) {
			return $this->syntax_error( $this->p, __( 'unexpected end of the document', 'mulopimfwc-bulk-sync' ) );
		}
		if ( ']' === $this->buf[ $this->p ] ) {
			++$this->p;
			return true;
		}
		while ( true ) {
			$this->compact();
			$value = $this->read_value();
			if ( is_wp_error( $value ) ) {
				return $value;
			}
			$added = $this->add_item( $value[0], null, $value[1] );
			if ( is_wp_error( $added ) ) {
				return $added;
			}
			if ( ! $this->skip_ws() ) {
				return $this->syntax_error( $this->p, __( 'unexpected end of the document', 'mulopimfwc-bulk-sync' ) );
			}
			$c = $this->buf[ $this->p ];
			++$this->p;
			if ( ']' === $c ) {
				return true;
			}
			if ( ',' !== $c ) {
				return $this->syntax_error( $this->p - 1, __( 'expected "," or "]" after an item', 'mulopimfwc-bulk-sync' ) );
			}
			if ( ! $this->skip_ws() ) {
				return $this->syntax_error( $this->p, __( 'unexpected end of the document', 'mulopimfwc-bulk-sync' ) );
			}
		}
	}

	/**
	 * JSON document: appends the next block to the buffer.
	 *
	 * @return bool False at the end of the body.
	 */
	private function more() {
		$block = $this->next_block();
		if ( '' === $block ) {
			return false;
		}
		$this->buf .= $block;
		return true;
	}

	/**
	 * JSON document: drops the consumed part of the buffer once it is large (so copies stay amortised).
	 */
	private function compact() {
		if ( $this->p < self::BLOCK_SIZE ) {
			return;
		}
		$nl = strrpos( $this->buf, "\n", $this->p - strlen( $this->buf ) - 1 );
		if ( false !== $nl ) {
			$this->base_last_nl = $this->base_byte + $nl;
			$this->base_line   += substr_count( $this->buf, "\n", 0, $this->p );
		}
		$this->base_byte += $this->p;
		$this->buf        = (string) substr( $this->buf, $this->p );
		$this->p          = 0;
	}

	/**
	 * JSON document: skips white space.
	 *
	 * @return bool False at the end of the body.
	 */
	private function skip_ws() {
		while ( true ) {
			$this->p += strspn( $this->buf, " \t\r\n", $this->p );
			if ( $this->p < strlen( $this->buf ) ) {
				return true;
			}
			if ( ! $this->more() ) {
				return false;
			}
		}
	}

	/**
	 * JSON document: reads the value at the position (white space skipped): its raw text and its decoded value.
	 * The end is found by a state machine (depth, strings, escapes) jumping over uninteresting bytes with
	 * strcspn; the text is then checked by json_decode.
	 *
	 * @return array|WP_Error array( raw text, decoded value ).
	 */
	private function read_value() {
		$p = $this->p;
		$c = $this->buf[ $p ];
		if ( '{' === $c ) {
			// Fast path: a flat object ends at the first "}" (if that prefix parses, it is the object).
			$e = strpos( $this->buf, '}', $p );
			if ( false !== $e ) {
				$raw   = substr( $this->buf, $p, $e - $p + 1 );
				$value = json_decode( $raw, true, 512, JSON_BIGINT_AS_STRING );
				if ( null !== $value || JSON_ERROR_NONE === json_last_error() ) {
					$this->p = $e + 1;
					return array( $raw, $value );
				}
			}
		}
		if ( '{' === $c || '[' === $c ) {
			$end = $this->scan_nested( $p );
		} elseif ( '"' === $c ) {
			$end = $this->scan_string( $p );
		} else {
			$end = $p;
			while ( true ) {
				$end += strspn( $this->buf, '0123456789+-.eEtruefalsn', $end );
				if ( $end < strlen( $this->buf ) || ! $this->more() ) {
					break;
				}
			}
			if ( $end === $p ) {
				return $this->syntax_error( $p, __( 'expected a value', 'mulopimfwc-bulk-sync' ) );
			}
		}
		if ( is_wp_error( $end ) ) {
			return $end;
		}
		$raw   = substr( $this->buf, $p, $end - $p );
		$value = json_decode( $raw, true, 512, JSON_BIGINT_AS_STRING );
		if ( null === $value && JSON_ERROR_NONE !== json_last_error() ) {
			$message = json_last_error_msg();
			$at      = self::locate_json_error( $raw );
			if ( null === $at ) {
				return $this->syntax_error( $p, $message );
			}
			return $this->syntax_error( $p + $at[0], $at[1] );
		}
		$this->p = $end;
		return array( $raw, $value );
	}

	/**
	 * JSON document: the end (exclusive) of the object or array starting at $p, by bracket depth.
	 *
	 * @param int $p Offset of the "{" or "[".
	 * @return int|WP_Error
	 */
	private function scan_nested( $p ) {
		$stack = '';
		$q     = $p;
		while ( true ) {
			$q += strcspn( $this->buf, '"{}[]', $q );
			if ( $q >= strlen( $this->buf ) ) {
				if ( ! $this->more() ) {
					return $this->syntax_error( $q, __( 'unexpected end of the document', 'mulopimfwc-bulk-sync' ) );
				}
				continue;
			}
			$c = $this->buf[ $q ];
			if ( '"' === $c ) {
				$q = $this->scan_string( $q );
				if ( is_wp_error( $q ) ) {
					return $q;
				}
				continue;
			}
			if ( '{' === $c || '[' === $c ) {
				$stack .= $c;
			} else {
				$open  = substr( $stack, -1 );
				$stack = (string) substr( $stack, 0, -1 );
				if ( ( '}' === $c ? '{' : '[' ) !== $open || '' === $stack ) {
					return $q + 1; // The end, or a bracket that does not match (json_decode tells where).
				}
			}
			++$q;
		}
	}

	/**
	 * JSON document: the end (exclusive) of the string starting at $p.
	 *
	 * @param int $p Offset of the opening quote.
	 * @return int|WP_Error
	 */
	private function scan_string( $p ) {
		$q = $p + 1;
		while ( true ) {
			$q += strcspn( $this->buf, '"\\', $q );
			if ( $q + 1 >= strlen( $this->buf ) && ( $q >= strlen( $this->buf ) || '\\' === $this->buf[ $q ] ) ) {
				if ( ! $this->more() ) {
					return $this->syntax_error( $p, __( 'a string is not closed', 'mulopimfwc-bulk-sync' ) );
				}
				continue;
			}
			if ( '"' === $this->buf[ $q ] ) {
				return $q + 1;
			}
			$q += 2;
		}
	}

	/**
	 * Finds the first syntax error in a JSON text json_decode rejected (a strict validator, run on errors only).
	 *
	 * @param string $s The text.
	 * @return array|null array( offset, message ), or null when no syntax error is found (nesting too deep).
	 */
	private static function locate_json_error( $s ) {
		if ( ! preg_match( '//u', $s ) ) {
			preg_match( '/^(?:[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}|\xED[\x80-\x9F][\x80-\xBF]|\xF0[\x90-\xBF][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2})*/', $s, $m );
			return array( isset( $m[0] ) ? strlen( $m[0] ) : 0, __( 'invalid UTF-8', 'mulopimfwc-bulk-sync' ) );
		}
		$i     = 0;
		$error = self::check_json_value( $s, $i, 0 );
		if ( null === $error ) {
			$i += strspn( $s, " \t\r\n", $i );
			if ( $i < strlen( $s ) ) {
				return array( $i, __( 'unexpected character', 'mulopimfwc-bulk-sync' ) );
			}
		}
		return $error;
	}

	/**
	 * Strict check of one JSON value (see locate_json_error()).
	 *
	 * @param string $s     Text.
	 * @param int    $i     Offset, moved past the value.
	 * @param int    $depth Nesting depth.
	 * @return array|null array( offset, message ) of the first error, null when the value is valid.
	 */
	private static function check_json_value( $s, &$i, $depth ) {
		$len = strlen( $s );
		$i  += strspn( $s, " \t\r\n", $i );
		if ( $i >= $len ) {
			return array( $i, __( 'unexpected end of the value', 'mulopimfwc-bulk-sync' ) );
		}
		if ( $depth > 510 ) {
			return null;
		}
		$c = $s[ $i ];
		if ( '{' === $c || '[' === $c ) {
			$close = '{' === $c ? '}' : ']';
			++$i;
			$i += strspn( $s, " \t\r\n", $i );
			if ( $i < $len && $close === $s[ $i ] ) {
				++$i;
				return null;
			}
			while ( true ) {
				if ( '}' === $close ) {
					$i += strspn( $s, " \t\r\n", $i );
					if ( $i >= $len || '"' !== $s[ $i ] ) {
						return array( $i, __( 'expected a key (a string in double quotes)', 'mulopimfwc-bulk-sync' ) );
					}
					$error = self::check_json_value( $s, $i, $depth + 1 );
					if ( null !== $error ) {
						return $error;
					}
					$i += strspn( $s, " \t\r\n", $i );
					if ( $i >= $len || ':' !== $s[ $i ] ) {
						return array( $i, __( 'expected ":" after a key', 'mulopimfwc-bulk-sync' ) );
					}
					++$i;
				}
				$error = self::check_json_value( $s, $i, $depth + 1 );
				if ( null !== $error ) {
					return $error;
				}
				$i += strspn( $s, " \t\r\n", $i );
				if ( $i < $len && ',' === $s[ $i ] ) {
					++$i;
					continue;
				}
				if ( $i < $len && $close === $s[ $i ] ) {
					++$i;
					return null;
				}
				/* translators: %s: "}" or "]". */
				return array( $i, sprintf( __( 'expected "," or "%s"', 'mulopimfwc-bulk-sync' ), $close ) );
			}
		}
		if ( '"' === $c ) {
			++$i;
			while ( true ) {
				$i += strcspn( $s, "\"\\\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f", $i );
				if ( $i >= $len ) {
					return array( $i, __( 'a string is not closed', 'mulopimfwc-bulk-sync' ) );
				}
				if ( '"' === $s[ $i ] ) {
					++$i;
					return null;
				}
				if ( '\\' !== $s[ $i ] ) {
					return array( $i, __( 'control character in a string', 'mulopimfwc-bulk-sync' ) );
				}
				if ( ! preg_match( '/\\\\(?:["\\\\\/bfnrt]|u[0-9a-fA-F]{4})/A', $s, $m, 0, $i ) ) {
					return array( $i, __( 'invalid escape sequence', 'mulopimfwc-bulk-sync' ) );
				}
				$i += strlen( $m[0] );
			}
		}
		if ( preg_match( '/-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null/A', $s, $m, 0, $i ) ) {
			$i += strlen( $m[0] );
			return null;
		}
		return array( $i, __( 'expected a value', 'mulopimfwc-bulk-sync' ) );
	}

	/**
	 * JSON document: WP_Error invalid_data naming the line, column and byte offset of an offset of the buffer.
	 *
	 * @param int    $at   Offset in the buffer.
	 * @param string $what What is wrong.
	 * @return WP_Error
	 */
	private function syntax_error( $at, $what ) {
		$at      = min( $at, strlen( $this->buf ) );
		$byte    = $this->base_byte + $at;
		$line    = $this->base_line + 1 + ( $at > 0 ? substr_count( $this->buf, "\n", 0, $at ) : 0 );
		$last_nl = $at > 0 ? strrpos( $this->buf, "\n", $at - strlen( $this->buf ) - 1 ) : false;
		$last_nl = false === $last_nl ? $this->base_last_nl : $this->base_byte + $last_nl;
		return self::invalid(
			sprintf(
				/* translators: 1: what is wrong, 2: line, 3: column, 4: byte offset (0-based). */
				__( 'The body is not a valid JSON document: %1$s at line %2$d, column %3$d (byte %4$d).', 'mulopimfwc-bulk-sync' ),
				$what,
				$line,
				$byte - $last_nl,
				$byte
			)
		);
	}

	/**
	 * Adds a valid item to the chunk being filled.
	 *
	 * @param string   $raw   Raw JSON text.
	 * @param int|null $line  Line (null for a JSON document).
	 * @param mixed    $value The decoded item (for its product).
	 * @return true|WP_Error
	 */
	private function add_item( $raw, $line, $value ) {
		$product = null;
		if ( is_array( $value ) ) {
			$sku     = isset( $value['sku'] ) && is_scalar( $value['sku'] ) ? strtolower( trim( (string) $value['sku'] ) ) : '';
			$id      = isset( $value['product_id'] ) && is_scalar( $value['product_id'] ) ? trim( (string) $value['product_id'] ) : '';
			$product = ( '' === $sku && '' === $id ) ? null : array( $sku, $id );
		}
		$started = $this->start_item( $product );
		if ( true !== $started ) {
			return $started;
		}
		$this->raws[]  = $raw;
		$this->lines[] = $line;
		return true;
	}

	/**
	 * Adds a rejected item (a malformed line) to the chunk being filled.
	 *
	 * @param int    $line    Line.
	 * @param string $code    Code.
	 * @param string $message Message.
	 * @return true|WP_Error
	 */
	private function add_rejected( $line, $code, $message ) {
		$started = $this->start_item( null );
		if ( true !== $started ) {
			return $started;
		}
		$this->rejected[] = array(
			'index'   => $this->items_total,
			'line'    => $line,
			'code'    => $code,
			'field'   => '',
			'message' => $message,
		);
		$this->lines[]    = $line;
		++$this->rejected_total;
		return true;
	}

	/**
	 * Counts the next item in: the item limit, and the chunk boundary before it (a full chunk is handed on unless
	 * the item is of the same product as the chunk's last one and the chunk may still grow).
	 *
	 * @param array|null $product The item's product (sku, product_id), null when unknown.
	 * @return true|WP_Error
	 */
	private function start_item( $product ) {
		if ( $this->max_items > 0 && $this->items_total >= $this->max_items ) {
			return new WP_Error(
				'too_many_items',
				/* translators: %d: the item limit of a job. */
				sprintf( __( 'Too many items: a job takes at most %d.', 'mulopimfwc-bulk-sync' ), $this->max_items ),
				array( 'status' => 400 )
			);
		}
		if ( $this->count >= $this->chunk_size
			&& ( $this->count >= $this->max_chunk_items || ! self::same_product( $this->last_product, $product ) ) ) {
			$flushed = $this->flush();
			if ( true !== $flushed ) {
				return $flushed;
			}
		}
		if ( 0 === $this->count ) {
			$this->first_item = $this->items_total + 1;
		}
		++$this->count;
		++$this->items_total;
		$this->last_product = $product;
		return true;
	}

	/**
	 * Whether two items are of one product (same sku, case-insensitive and trimmed, or same product_id).
	 *
	 * @param array|null $a Product of one (sku, product_id).
	 * @param array|null $b Product of the other.
	 * @return bool
	 */
	private static function same_product( $a, $b ) {
		if ( null === $a || null === $b ) {
			return false;
		}
		return ( '' !== $a[0] && $a[0] === $b[0] ) || ( '' !== $a[1] && $a[1] === $b[1] );
	}

	/**
	 * Hands on the chunk being filled (if any).
	 *
	 * @return true|WP_Error
	 */
	private function flush() {
		if ( 0 === $this->count ) {
			return true;
		}
		$chunk          = array(
			'chunk_no'   => $this->chunk_no,
			'first_item' => $this->first_item,
			'items'      => $this->count,
			'payload'    => '{"items":[' . implode( ',', $this->raws ) . ']}',
			'rejected'   => $this->rejected,
			'lines'      => $this->with_lines ? $this->lines : null,
		);
		$this->raws     = array();
		$this->lines    = array();
		$this->rejected = array();
		$this->count    = 0;
		++$this->chunk_no;
		$result = call_user_func( $this->on_chunk, $chunk );
		return is_wp_error( $result ) ? $result : true;
	}

	/**
	 * WP_Error invalid_data, status 400.
	 *
	 * @param string $message Message.
	 * @return WP_Error
	 */
	private static function invalid( $message ) {
		return new WP_Error( 'invalid_data', $message, array( 'status' => 400 ) );
	}
}
