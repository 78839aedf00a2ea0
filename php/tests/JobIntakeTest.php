<?php
/**
 * The job intake (Mulopimfwc_Bulk_Sync_Job_Intake): format detection, the three formats, chunking, limits and
 * bounded memory, on real streams (php://temp and temp files).
 *
 * @package Mulopimfwc_Bulk_Sync
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.Files.FileName

use PHPUnit\Framework\TestCase;

/**
 * Tests of Mulopimfwc_Bulk_Sync_Job_Intake.
 */
class JobIntakeTest extends TestCase {

	/**
	 * Reads a body through the intake.
	 *
	 * @param string $body       Body.
	 * @param string $format     Format.
	 * @param int    $chunk_size Chunk size.
	 * @param array  $opts       Options.
	 * @return array array( result, chunks ).
	 */
	private function intake( $body, $format, $chunk_size = 100, $opts = array() ) {
		$stream = fopen( 'php://temp', 'w+b' );
		fwrite( $stream, $body );
		rewind( $stream );
		$chunks = array();
		$result = Mulopimfwc_Bulk_Sync_Job_Intake::read(
			$stream,
			$format,
			$chunk_size,
			static function ( $chunk ) use ( &$chunks ) {
				$chunks[] = $chunk;
				return true;
			},
			$opts
		);
		fclose( $stream );
		return array( $result, $chunks );
	}

	/**
	 * The items of the chunks' payloads, decoded, in order.
	 *
	 * @param array $chunks Chunks.
	 * @return array
	 */
	private static function items( $chunks ) {
		$items = array();
		foreach ( $chunks as $chunk ) {
			$decoded = json_decode( $chunk['payload'], true, 512, JSON_BIGINT_AS_STRING );
			self::assertIsArray( $decoded, 'payload is JSON: ' . $chunk['payload'] );
			self::assertSame( array( 'items' ), array_keys( $decoded ) );
			$items = array_merge( $items, $decoded['items'] );
		}
		return $items;
	}

	/**
	 * Asserts a WP_Error's code, status and (part of) message.
	 *
	 * @param mixed  $error   The value.
	 * @param string $code    Code.
	 * @param int    $status  Status.
	 * @param string $message Expected substring of the message.
	 */
	private static function assertWpError( $error, $code, $status, $message = '' ) {
		self::assertInstanceOf( WP_Error::class, $error, 'expected WP_Error ' . $code . ', got ' . var_export( $error, true ) );
		self::assertSame( $code, $error->get_error_code(), $error->get_error_message() );
		self::assertSame( array( 'status' => $status ), $error->get_error_data() );
		if ( '' !== $message ) {
			self::assertStringContainsString( $message, $error->get_error_message() );
		}
	}

	// ---------------------------------------------------------------- Content-Type.

	/**
	 * Media types map to formats; parameters are ignored; anything else is 415.
	 */
	public function test_format_for_content_type() {
		$cases = array(
			'application/json'                  => 'json',
			'application/json; charset=utf-8'   => 'json',
			'Application/JSON'                  => 'json',
			'application/vnd.api+json'          => 'json',
			'application/x-ndjson'              => 'ndjson',
			'application/ndjson'                => 'ndjson',
			'application/jsonl'                 => 'ndjson',
			'application/x-jsonlines'           => 'ndjson',
			'application/jsonlines'             => 'ndjson',
			'text/csv; charset=UTF-8'           => 'csv',
			'application/csv'                   => 'csv',
			'text/plain'                        => 'auto',
			'application/octet-stream'          => 'auto',
			'application/x-www-form-urlencoded' => 'auto',
			''                                  => 'auto',
		);
		foreach ( $cases as $type => $format ) {
			$this->assertSame( $format, Mulopimfwc_Bulk_Sync_Job_Intake::format_for_content_type( $type ), $type );
		}
		$this->assertSame( 'auto', Mulopimfwc_Bulk_Sync_Job_Intake::format_for_content_type( null ) );
		foreach ( array( 'text/html', 'multipart/form-data; boundary=x', 'application/xml', 'image/png' ) as $type ) {
			$error = Mulopimfwc_Bulk_Sync_Job_Intake::format_for_content_type( $type );
			self::assertWpError( $error, 'unsupported_media_type', 415, 'application/x-ndjson' );
			$this->assertStringContainsString( 'text/csv', $error->get_error_message() );
		}
	}

	// ---------------------------------------------------------------- JSON document.

	/**
	 * Elements keep their raw text (exact prices, big integers), other keys are ignored, dry_run is read, BOM.
	 */
	public function test_json_document_raw_items_and_dry_run() {
		$body = "\xEF\xBB\xBF {\"note\": {\"x\": [1, {\"items\": 2}]}, \"items\": [\n"
			. "  {\"sku\": \"A\", \"location_slug\": \"l\", \"regular_price\": 19.990, \"stock\": 12345678901234567890},\n"
			. "  {\"sku\": \"B}\\\"{\", \"stock\": 1, \"x\": {\"y\": [1,2,{}]}},\n"
			. "  5, \"text\", null, [1,2]\n"
			. "], \"dry_run\": true, \"more\": \"ignored\"}\n";
		list( $result, $chunks ) = $this->intake( $body, 'json', 100 );
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$this->assertSame( 'json', $result['format'] );
		$this->assertSame( 6, $result['items'] );
		$this->assertSame( 1, $result['chunks'] );
		$this->assertSame( 0, $result['rejected'] );
		$this->assertTrue( $result['dry_run'] );
		$this->assertSame( hash( 'sha256', $body ), $result['sha256'] );
		$this->assertCount( 1, $chunks );
		$this->assertSame( 0, $chunks[0]['chunk_no'] );
		$this->assertSame( 1, $chunks[0]['first_item'] );
		$this->assertSame( 6, $chunks[0]['items'] );
		$this->assertSame( array(), $chunks[0]['rejected'] );
		$this->assertNull( $chunks[0]['lines'] );
		$this->assertStringContainsString( '"regular_price": 19.990', $chunks[0]['payload'] );
		$this->assertStringContainsString( '12345678901234567890', $chunks[0]['payload'] );
		$items = self::items( $chunks );
		$this->assertCount( 6, $items );
		$this->assertSame( 'B}"{', $items[1]['sku'] );
		$this->assertSame( array( 'y' => array( 1, 2, array() ) ), $items[1]['x'] );
		$this->assertSame( array( 5, 'text', null, array( 1, 2 ) ), array_slice( $items, 2 ) );

		list( $result ) = $this->intake( '{"dry_run": null, "items": [{}]}', 'json' );
		$this->assertFalse( $result['dry_run'] );
		list( $result ) = $this->intake( '{"items": [{}], "dry_run": false}', 'json' );
		$this->assertFalse( $result['dry_run'] );
		list( $result ) = $this->intake( '{"items": [{}]}', 'json' );
		$this->assertFalse( $result['dry_run'] );
	}

	/**
	 * Any syntax error of the document is a 400 naming its line, column and byte offset.
	 */
	public function test_json_document_syntax_errors_name_the_place() {
		$cases = array(
			// body => expected "at line L, column C (byte B)".
			"{\"items\": [{\"sku\": \"A\"},]}"                     => 'line 1, column 25 (byte 24)',
			"{\"items\": [{\"sku\": \"A\"} {\"sku\": \"B\"}]}"     => 'line 1, column 25 (byte 24)',
			"{\"items\": [{}]} x"                                 => 'line 1, column 17 (byte 16)',
			"{\"items\": [{}]}{}"                                 => 'line 1, column 16 (byte 15)',
			"{\"items\": [\n  {\"a\": tru}\n]}"                   => 'line 2, column 9 (byte 20)',
			"{\"items\": [\n  {\"a\": 01}\n]}"                    => 'line 2, column 10 (byte 21)',
			"{\"items\": [\n\n  {\"a\": {\"b\": [1, 2}}}\n]}"     => 'line 3, column 20 (byte 32)',
			"{\"items\": [{\"a\": \"x\\q\"}]}"                    => 'line 1, column 20 (byte 19)',
			"{\"items\": [{\"a\" 1}]}"                            => 'line 1, column 17 (byte 16)',
			"{\"items\": [{}]"                                    => 'line 1, column 15 (byte 14)',
			"{\"items\": [{}"                                     => 'line 1, column 14 (byte 13)',
			"{\"items\": [{\"a\": \"open}]}"                      => 'line 1, column 18 (byte 17)',
			"{\"other\": [1,,2], \"items\": [{}]}"                => 'line 1, column 14 (byte 13)',
			"{\"items\": [{}], \"other\": nul}"                   => 'line 1, column 26 (byte 25)',
			"{\"items\": [{}] \"dry_run\": true}"                 => 'line 1, column 16 (byte 15)',
			"{items: []}"                                         => 'line 1, column 2 (byte 1)',
			"{\"items\": [{}],}"                                  => 'line 1, column 16 (byte 15)',
			"[{\"sku\": \"A\"}]"                                   => 'line 1, column 1 (byte 0)',
			"{\"items\": [{\"a\": \"\xC3\x28\"}]}"                => 'line 1, column 19 (byte 18)',
			"{\"items\": [{\"a\": \"tab\there\"}]}"               => 'line 1, column 22 (byte 21)',
		);
		foreach ( $cases as $body => $where ) {
			list( $result ) = $this->intake( $body, 'json' );
			self::assertWpError( $result, 'invalid_data', 400, 'at ' . $where );
		}
	}

	/**
	 * Line and byte offsets stay right past the buffer's blocks (an error 300 KB in).
	 */
	public function test_json_document_error_position_deep_in_a_large_body() {
		$body  = "{\"items\": [\n";
		$lines = 2;
		for ( $i = 0; $i < 5000; $i++ ) {
			$body .= '{"sku": "SKU-' . $i . '", "location_slug": "loc", "stock": ' . $i . ", \"regular_price\": \"1.50\"},\n";
			++$lines;
		}
		$offset = strlen( $body ) + 2;
		$body  .= "  {\"sku\" \"broken\"}\n]}";
		list( $result, $chunks ) = $this->intake( $body, 'json', 1000 );
		self::assertWpError( $result, 'invalid_data', 400, "at line $lines, column 10 (byte " . ( $offset + 7 ) . ')' );
		$this->assertCount( 4, $chunks, 'chunks handed on before the error (the 5th, full, waits for the next item)' );
	}

	/**
	 * "items" missing, not an array, empty, twice; dry_run not a bool; empty body.
	 */
	public function test_json_document_shape_errors() {
		$cases = array(
			'{"dry_run": true}'                => 'no "items" array',
			'{}'                               => 'no "items" array',
			'{"items": {"sku": "A"}}'          => '"items" must be an array',
			'{"items": "x"}'                   => '"items" must be an array',
			'{"items": []}'                    => 'empty',
			'{"items": [{}], "items": [{}]}'   => 'more than one "items"',
			'{"items": [{}], "dry_run": "yes"}' => '"dry_run" must be true or false',
			'{"dry_run": 1, "items": [{}]}'    => '"dry_run" must be true or false',
			''                                 => 'empty',
			" \n\t "                           => 'empty',
			"\xEF\xBB\xBF"                     => 'empty',
		);
		foreach ( $cases as $body => $message ) {
			list( $result ) = $this->intake( $body, 'json' );
			self::assertWpError( $result, 'invalid_data', 400, $message );
		}
	}

	// ---------------------------------------------------------------- NDJSON.

	/**
	 * Every non-blank line is an item; CRLF and a BOM are fine; a malformed line fails its item only.
	 */
	public function test_ndjson_lines_and_rejected_lines() {
		$body = "\xEF\xBB\xBF{\"sku\":\"A\",\"regular_price\":1.10}\r\n"
			. "\r\n"
			. "{\"sku\":\"B\"\r\n"
			. "   \n"
			. "{\"sku\":\"C\",\"stock\":99999999999999999999}\n"
			. "not json\n"
			. '7';
		list( $result, $chunks ) = $this->intake( $body, 'ndjson', 3 );
		$this->assertIsArray( $result );
		$this->assertSame( array( 'ndjson', 5, 2, 2, false ), array( $result['format'], $result['items'], $result['chunks'], $result['rejected'], $result['dry_run'] ) );
		$this->assertSame( hash( 'sha256', $body ), $result['sha256'] );

		$this->assertSame( array( 0, 1, 3 ), array( $chunks[0]['chunk_no'], $chunks[0]['first_item'], $chunks[0]['items'] ) );
		$this->assertSame( array( 1, 3, 5 ), $chunks[0]['lines'] );
		$this->assertSame( '{"items":[{"sku":"A","regular_price":1.10},{"sku":"C","stock":99999999999999999999}]}', $chunks[0]['payload'] );
		$this->assertSame(
			array(
				array(
					'index'   => 2,
					'line'    => 3,
					'code'    => 'invalid_json',
					'field'   => '',
					'message' => 'Line 3 is not valid JSON: Syntax error',
				),
			),
			$chunks[0]['rejected']
		);
		$this->assertSame( array( 1, 4, 2 ), array( $chunks[1]['chunk_no'], $chunks[1]['first_item'], $chunks[1]['items'] ) );
		$this->assertSame( array( 6, 7 ), $chunks[1]['lines'] );
		$this->assertSame( '{"items":[7]}', $chunks[1]['payload'] );
		$this->assertSame( 4, $chunks[1]['rejected'][0]['index'] );
		$this->assertSame( 6, $chunks[1]['rejected'][0]['line'] );
		$this->assertSame( 'Line 6 is not valid JSON: Syntax error', $chunks[1]['rejected'][0]['message'] );
	}

	/**
	 * No line parses: 400 "not NDJSON"; an empty body: 400; a 1 MB line is kept whole.
	 */
	public function test_ndjson_not_ndjson_empty_and_long_lines() {
		list( $result ) = $this->intake( "a,b\nc,d\n", 'ndjson' );
		self::assertWpError( $result, 'invalid_data', 400, 'not NDJSON' );
		foreach ( array( '', "\n\r\n  \n", "\xEF\xBB\xBF" ) as $body ) {
			list( $result ) = $this->intake( $body, 'ndjson' );
			self::assertWpError( $result, 'invalid_data', 400, 'empty' );
		}
		$long = '{"sku":"L","note":"' . str_repeat( 'x', 1048576 ) . '"}';
		list( $result, $chunks ) = $this->intake( "{\"sku\":\"S\"}\n" . $long . "\n{\"sku\":\"T\"}", 'ndjson', 10 );
		$this->assertSame( 3, $result['items'] );
		$this->assertSame( 0, $result['rejected'] );
		$items = self::items( $chunks );
		$this->assertSame( 1048576, strlen( $items[1]['note'] ) );
		$this->assertSame( array( 'S', 'L', 'T' ), array_column( $items, 'sku' ) );
	}

	// ---------------------------------------------------------------- CSV.

	/**
	 * Header as the CLI reads it, rows as JSON objects of strings, multi-line quoted fields, rejected rows.
	 */
	public function test_csv_rows() {
		$body = "\xEF\xBB\xBF SKU ,Location_Slug,stock,regular_price,extra\r\n"
			. "A,main,5,19.90,\r\n"
			. "\r\n"
			. "\"B, \"\"quoted\"\"\",\"multi\nline\",,1.5,x/y\n"
			. "C,main,1,2,3,4\n"
			. "Ünï/çødé,,,,\n"
			. "  \"D\"  ,\"a\n\n\"\"still\"\"\n\",7";
		list( $result, $chunks ) = $this->intake( $body, 'csv', 100 );
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$this->assertSame( array( 'csv', 5, 1, 1 ), array( $result['format'], $result['items'], $result['chunks'], $result['rejected'] ) );
		$this->assertSame( hash( 'sha256', $body ), $result['sha256'] );
		$this->assertSame( array( 2, 4, 6, 7, 8 ), $chunks[0]['lines'] );
		$this->assertSame(
			'{"items":[{"sku":"A","location_slug":"main","stock":"5","regular_price":"19.90"},'
			. '{"sku":"B, \"quoted\"","location_slug":"multi\nline","regular_price":"1.5","extra":"x/y"},'
			. '{"sku":"Ünï/çødé"},'
			. '{"sku":"D  ","location_slug":"a\n\n\"still\"\n","stock":"7"}]}',
			$chunks[0]['payload']
		);
		$this->assertSame(
			array(
				array(
					'index'   => 3,
					'line'    => 6,
					'code'    => 'invalid_csv_row',
					'field'   => '',
					'message' => 'Line 6 has 6 cells, the header row 5.',
				),
			),
			$chunks[0]['rejected']
		);
	}

	/**
	 * A CSV without a usable header, or without rows, is a 400; the column list is the CLI's.
	 */
	public function test_csv_header_errors_and_columns() {
		foreach ( array( "name,qty\nA,1\n" => 'must name some of: sku,product_id', '' => 'no header row', "\n\n" => 'no header row', "sku,stock\n\n" => 'no rows' ) as $body => $message ) {
			list( $result ) = $this->intake( $body, 'csv' );
			self::assertWpError( $result, 'invalid_data', 400, $message );
		}
		$cli = file_get_contents( dirname( __DIR__ ) . '/includes/class-cli-command.php' );
		$this->assertSame( 1, preg_match( '/const CSV_COLUMNS = (array\([^)]*\));/', $cli, $m ) );
		$this->assertSame( eval( 'return ' . $m[1] . ';' ), Mulopimfwc_Bulk_Sync_Job_Intake::CSV_COLUMNS ); // phpcs:ignore Squiz.PHP.Eval.Discouraged
	}

	/**
	 * The items of a CSV are the ones the CLI's parse_csv makes of it (the real CLI class, loaded here).
	 */
	public function test_csv_items_match_the_cli_parse_csv() {
		require_once dirname( __DIR__ ) . '/includes/class-cli-command.php';
		$bodies = array(
			"sku,location_slug,stock\nA,main,1\nB,,2\n",
			"\xEF\xBB\xBFProduct_ID , STOCK,,unknown\r\n7,3,x,y\r\n\r\n8,,,\r\n",
			"sku,regular_price\n\"a\"\"b\",\"1,50\"\n\"multi\r\nline\",2\n  \"sp\"  ,3\nx\"y,4\n",
			"sku,sale_price\n\"unterminated,5\nmore\n",
			"location_id,sku\n1,Ünï\n2,\"\"\n",
		);
		foreach ( $bodies as $body ) {
			list( $result, $chunks ) = $this->intake( $body, 'csv', 2 );
			$this->assertIsArray( $result, $body );
			$expected = array_map(
				static function ( $item ) {
					return (object) $item;
				},
				Mulopimfwc_Bulk_Sync_CLI_Command::parse_csv( $body )
			);
			$actual   = array();
			foreach ( $chunks as $chunk ) {
				$actual = array_merge( $actual, json_decode( $chunk['payload'] )->items );
			}
			$this->assertEquals( $expected, $actual, $body );
			$this->assertSame( count( $expected ), $result['items'], $body );
		}
	}

	// ---------------------------------------------------------------- auto.

	/**
	 * 'auto' sniffs the format from the first bytes.
	 */
	public function test_auto_format_sniffing() {
		$cases = array(
			"\xEF\xBB\xBF\n  {\"items\": [{\"sku\": \"A\"}, {\"sku\": \"B\"}]}" => array( 'json', 2 ),
			"{\n  \"dry_run\": false,\n  \"items\": [{\"sku\": \"A\"}]\n}"   => array( 'json', 1 ),
			"{\"dry_run\": false, \"items\": [{\"sku\": \"A\"}]}\n"         => array( 'json', 1 ),
			"{\"dry_run\": true, \"items\": [{\"sku\": \"A\"}, {}]}"           => array( 'json', 2 ),
			"{\"sku\": \"A\"}\n{\"sku\": \"B\"}\n{\"sku\": \"C\"}\n"        => array( 'ndjson', 3 ),
			"\r\n{\"sku\": \"A\"}"                                          => array( 'ndjson', 1 ),
			"sku,stock\nA,1\nB,2\n"                                         => array( 'csv', 2 ),
		);
		foreach ( $cases as $body => $expected ) {
			list( $result, $chunks ) = $this->intake( $body, 'auto' );
			$this->assertIsArray( $result, $body . ': ' . ( is_wp_error( $result ) ? $result->get_error_message() : '' ) );
			$this->assertSame( $expected, array( $result['format'], $result['items'] ), $body );
			$this->assertSame( hash( 'sha256', $body ), $result['sha256'], $body );
			$this->assertCount( $expected[1], self::items( $chunks ), $body );
		}
		// First key "items": a JSON document, whatever follows (the design's rule).
		list( $result ) = $this->intake( "{\"items\": 1}\n{\"items\": 2}\n", 'auto' );
		self::assertWpError( $result, 'invalid_data', 400, '"items" must be an array' );
		foreach ( array( '', " \r\n\t", "\xEF\xBB\xBF\n" ) as $body ) {
			list( $result ) = $this->intake( $body, 'auto' );
			self::assertWpError( $result, 'invalid_data', 400, 'The body is empty' );
		}
		list( $result ) = $this->intake( "\x89PNG\r\n\x1a\n\0\0\0", 'auto' );
		self::assertWpError( $result, 'invalid_data', 400 );
	}

	/**
	 * Sniffing that reads past the first 64 KB block hands every byte on once, in order.
	 */
	public function test_auto_format_sniffing_over_several_blocks() {
		$long  = '{"sku":"A","note":"' . str_repeat( 'n', 150000 ) . '"}';
		$cases = array(
			$long . "\n{\"sku\":\"B\"}\n"                                                   => array( 'ndjson', 2 ),
			str_repeat( ' ', 70000 ) . "\n" . $long . "\n{\"sku\":\"B\"}"                  => array( 'ndjson', 2 ),
			'{"dry_run": true, "items": [' . $long . ', {"sku": "B"}]}'                     => array( 'json', 2 ),
			"{\n\"note\": \"" . str_repeat( 'x', 100000 ) . "\",\n\"items\": [{\"sku\": \"B\"}]\n}" => array( 'json', 1 ),
			str_repeat( "\r\n", 40000 ) . "sku,stock\nB,1\n"                                 => array( 'csv', 1 ),
		);
		foreach ( $cases as $body => $expected ) {
			list( $result, $chunks ) = $this->intake( $body, 'auto' );
			$this->assertIsArray( $result, substr( $body, 0, 40 ) . ': ' . ( is_wp_error( $result ) ? $result->get_error_message() : '' ) );
			$this->assertSame( $expected, array( $result['format'], $result['items'] ) );
			$this->assertSame( hash( 'sha256', $body ), $result['sha256'] );
			$items = self::items( $chunks );
			$this->assertSame( 'B', end( $items )['sku'] );
		}
	}

	// ---------------------------------------------------------------- Chunking and limits.

	/**
	 * Chunks fill to chunk_size in order; item numbers and first_item count over the file.
	 */
	public function test_chunks_fill_in_order() {
		$body = '';
		for ( $i = 1; $i <= 10; $i++ ) {
			$body .= '{"sku":"S' . $i . "\"}\n";
		}
		list( $result, $chunks ) = $this->intake( $body, 'ndjson', 3 );
		$this->assertSame( 4, $result['chunks'] );
		$this->assertSame( array( 0, 1, 2, 3 ), array_column( $chunks, 'chunk_no' ) );
		$this->assertSame( array( 1, 4, 7, 10 ), array_column( $chunks, 'first_item' ) );
		$this->assertSame( array( 3, 3, 3, 1 ), array_column( $chunks, 'items' ) );
		$this->assertSame( array( 7, 8, 9 ), $chunks[2]['lines'] );
		$this->assertSame( '{"items":[{"sku":"S10"}]}', $chunks[3]['payload'] );
	}

	/**
	 * A full chunk grows (up to max_chunk_items) while the next item is of the chunk's last item's product.
	 */
	public function test_max_chunk_items_keeps_a_product_run_together() {
		$skus = array( 'a', 'b', 'c', ' C ', 'C', 'c', 'd', 'e', 'e', 'e', 'e', 'e', 'e', 'f' );
		$body = '';
		foreach ( $skus as $sku ) {
			$body .= json_encode( array( 'sku' => $sku ) ) . "\n";
		}
		list( , $chunks ) = $this->intake( $body, 'ndjson', 3, array( 'max_chunk_items' => 6 ) );
		$this->assertSame( array( 6, 6, 2 ), array_column( $chunks, 'items' ), 'the c run kept whole; the e run up to 6' );
		$this->assertSame( array( 1, 7, 13 ), array_column( $chunks, 'first_item' ) );
		list( , $chunks ) = $this->intake( $body, 'ndjson', 3, array( 'max_chunk_items' => 5 ) );
		$this->assertSame( array( 5, 5, 3, 1 ), array_column( $chunks, 'items' ), 'a chunk never grows past max_chunk_items' );

		// Without max_chunk_items a chunk is exactly chunk_size.
		list( , $chunks ) = $this->intake( $body, 'ndjson', 3 );
		$this->assertSame( array( 3, 3, 3, 3, 2 ), array_column( $chunks, 'items' ) );

		// product_id (numbers or strings), and a malformed line ends a run.
		$body = "{\"product_id\":7}\n{\"product_id\":\"7\"}\n{\"product_id\":7,\"sku\":\"x\"}\n{\"product_id\":7}\n{\"product_id\":8}\n";
		list( , $chunks ) = $this->intake( $body, 'ndjson', 2, array( 'max_chunk_items' => 10 ) );
		$this->assertSame( array( 4, 1 ), array_column( $chunks, 'items' ) );
		$body = "{\"sku\":\"a\"}\n{\"sku\":\"a\"}\nbroken\n{\"sku\":\"a\"}\n";
		list( , $chunks ) = $this->intake( $body, 'ndjson', 2, array( 'max_chunk_items' => 10 ) );
		$this->assertSame( array( 2, 2 ), array_column( $chunks, 'items' ) );

		// The same rule for a JSON document and a CSV.
		list( , $chunks ) = $this->intake( '{"items":[{"sku":"a"},{"sku":"b"},{"sku":"B"},{"sku":"c"}]}', 'json', 2, array( 'max_chunk_items' => 3 ) );
		$this->assertSame( array( 3, 1 ), array_column( $chunks, 'items' ) );
		list( , $chunks ) = $this->intake( "sku\na\nb\nB\nc\n", 'csv', 2, array( 'max_chunk_items' => 3 ) );
		$this->assertSame( array( 3, 1 ), array_column( $chunks, 'items' ) );
	}

	/**
	 * More than max_items: 400 too_many_items naming the limit, and reading stops there.
	 */
	public function test_max_items() {
		$body = str_repeat( "{\"sku\":\"A\"}\n", 10 );
		list( $result, $chunks ) = $this->intake( $body, 'ndjson', 2, array( 'max_items' => 5 ) );
		self::assertWpError( $result, 'too_many_items', 400, 'at most 5' );
		$this->assertSame( array( 2, 2 ), array_column( $chunks, 'items' ), 'the 6th item is never handed on' );
		list( $result ) = $this->intake( $body, 'ndjson', 2, array( 'max_items' => 10 ) );
		$this->assertSame( 10, $result['items'] );
		list( $result ) = $this->intake( '{"items":[1,2,3]}', 'json', 2, array( 'max_items' => 2 ) );
		self::assertWpError( $result, 'too_many_items', 400, 'at most 2' );
		list( $result ) = $this->intake( "sku\na\nb\nc\n", 'csv', 2, array( 'max_items' => 2 ) );
		self::assertWpError( $result, 'too_many_items', 400, 'at most 2' );
	}

	/**
	 * A WP_Error from the callback ends the read and is returned.
	 */
	public function test_callback_error_aborts() {
		$stream = fopen( 'php://temp', 'w+b' );
		fwrite( $stream, str_repeat( "{\"sku\":\"A\"}\n", 10 ) );
		rewind( $stream );
		$calls  = 0;
		$result = Mulopimfwc_Bulk_Sync_Job_Intake::read(
			$stream,
			'ndjson',
			3,
			static function () use ( &$calls ) {
				++$calls;
				return 2 === $calls ? new WP_Error( 'db_error', 'disk full', array( 'status' => 503 ) ) : true;
			}
		);
		fclose( $stream );
		self::assertWpError( $result, 'db_error', 503, 'disk full' );
		$this->assertSame( 2, $calls );
	}

	/**
	 * Items whose text straddles the 64 KB blocks (escapes, braces in strings, nesting) come out whole and in
	 * order, as json_decode of the whole document reads them.
	 */
	public function test_json_document_across_block_boundaries() {
		$items = array();
		for ( $i = 0; $i < 6000; $i++ ) {
			$item = array(
				'sku'   => 'S' . $i . str_repeat( '}"\\{', $i % 7 ),
				'stock' => $i,
			);
			if ( 0 === $i % 5 ) {
				$item['nested'] = array( 'a' => array( 1, array( 'b' => '}]' ) ), 'c' => str_repeat( 'é', $i % 50 ) );
			}
			$items[] = $item;
		}
		$body                    = json_encode( array( 'items' => $items, 'dry_run' => false ), JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE );
		list( $result, $chunks ) = $this->intake( $body, 'json', 1000 );
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$this->assertSame( 6000, $result['items'] );
		$this->assertSame( 6, $result['chunks'] );
		$this->assertSame( $items, self::items( $chunks ) );
		$this->assertSame( hash( 'sha256', $body ), $result['sha256'] );
	}

	// ---------------------------------------------------------------- Memory.

	/**
	 * Writes a body of $n items to a temp file in pieces.
	 *
	 * @param int  $n    Items.
	 * @param bool $json A JSON document (else NDJSON).
	 * @return resource The file, rewound.
	 */
	private static function big_body( $n, $json ) {
		$file = tmpfile();
		fwrite( $file, $json ? "{\"items\": [\n" : '' );
		$piece = '';
		for ( $i = 1; $i <= $n; $i++ ) {
			$piece .= '{"sku":"SKU-' . str_pad( (string) intdiv( $i + 4, 5 ), 7, '0', STR_PAD_LEFT ) . '","location_slug":"loc-' . ( $i % 5 ) . '","stock":' . ( $i % 97 ) . ',"regular_price":"19.99"}'
				. ( $json ? ( $i < $n ? ",\n" : "\n" ) : "\n" );
			if ( 0 === $i % 1000 ) {
				fwrite( $file, $piece );
				$piece = '';
			}
		}
		fwrite( $file, $piece . ( $json ? '], "dry_run": false}' : '' ) );
		rewind( $file );
		return $file;
	}

	/**
	 * 200,000 items of NDJSON and of a JSON document: counts right, memory bounded by about a chunk.
	 */
	public function test_memory_stays_bounded() {
		foreach ( array( 'ndjson', 'json' ) as $format ) {
			$file = self::big_body( 200000, 'json' === $format );
			$size = fstat( $file )['size'];
			gc_collect_cycles();
			memory_reset_peak_usage();
			$before = memory_get_usage();
			$items  = 0;
			$chunks = 0;
			$result = Mulopimfwc_Bulk_Sync_Job_Intake::read(
				$file,
				$format,
				5000,
				static function ( $chunk ) use ( &$items, &$chunks ) {
					$items += $chunk['items'];
					++$chunks;
					return true;
				}
			);
			$growth = memory_get_peak_usage() - $before;
			fclose( $file );
			$this->assertIsArray( $result, $format );
			$this->assertSame( array( 200000, 40, 0 ), array( $result['items'], $result['chunks'], $result['rejected'] ), $format );
			$this->assertSame( array( 200000, 40 ), array( $items, $chunks ), $format );
			$this->assertGreaterThan( 15000000, $size );
			$this->assertLessThan( 30 * 1048576, $growth, "$format: peak memory growth $growth bytes for a $size-byte body" );
		}
	}
}
