<?php
/**
 * The inventory export: the PHP implementation of `mulopimfwc_export()` (tests/contract/README.md, "Export").
 *
 * Set-based: a page costs a fixed handful of queries (locations; products with their row counts; the page's
 * variations; the page's posts and SKUs; the page's location meta), whatever its size or the catalogue's.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * Exports per-location stock and prices, one row per product (or variation) and location.
 */
class Mulopimfwc_Bulk_Sync_Export {

	const DEFAULT_PER_PAGE = 100;
	const MAX_PER_PAGE     = 10000;
	const LOCATION_TAXONOMY = 'mulopimfwc_store_location';

	/**
	 * The columns of a row, in the old export's order (also the CSV header row).
	 */
	const COLUMNS = array( 'product_id', 'sku', 'product_name', 'location_id', 'location_slug', 'location_name', 'stock', 'regular_price', 'sale_price', 'backorders', 'disabled' );

	/**
	 * Database.
	 *
	 * @var wpdb
	 */
	private $wpdb;

	/**
	 * Queries sent during the last page (for tests).
	 *
	 * @var int
	 */
	public $query_count = 0;

	/**
	 * Constructor.
	 *
	 * @param wpdb|null $db Database (default: the global $wpdb).
	 */
	public function __construct( $db = null ) {
		global $wpdb;
		$this->wpdb = $db ? $db : $wpdb;
	}

	/**
	 * Page and per_page as the export reads them: page from 1 (default 1), per_page 1..10000 (default 100; larger
	 * values are clamped); anything but a positive integer is the default.
	 *
	 * @param array $params Params (`page`, `per_page`).
	 * @return int[] [page, per_page].
	 */
	public static function paging( array $params ) {
		$page     = self::positive( isset( $params['page'] ) ? $params['page'] : null );
		$per_page = self::positive( isset( $params['per_page'] ) ? $params['per_page'] : null );
		return array(
			null === $page ? 1 : $page,
			null === $per_page ? self::DEFAULT_PER_PAGE : min( $per_page, self::MAX_PER_PAGE ),
		);
	}

	/**
	 * A positive integer param (an int, or a string of digits), else null — as the native export reads it.
	 *
	 * @param mixed $v Value.
	 * @return int|null
	 */
	public static function positive( $v ) {
		if ( is_int( $v ) ) {
			return $v > 0 ? $v : null;
		}
		if ( is_string( $v ) && preg_match( '/^\s*\+?(\d{1,18})\s*$/D', $v, $m ) && (int) $m[1] > 0 ) {
			return (int) $m[1];
		}
		return null;
	}

	/**
	 * One page of the export.
	 *
	 * @param array $options Engine options (only `table_prefix` is read: this runs on WordPress's connection).
	 * @param array $params  `location_id` (optional filter), `page`, `per_page`.
	 * @return array ['success' => true, 'count', 'total', 'page', 'per_page', 'data' => rows].
	 */
	public function export( array $options = array(), array $params = array() ) {
		$this->query_count = 0;
		$db                = $this->wpdb;
		$prefix            = isset( $options['table_prefix'] ) ? (string) $options['table_prefix'] : $db->prefix;
		$t                 = array(
			'posts'    => $prefix . 'posts',
			'postmeta' => $prefix . 'postmeta',
			'terms'    => $prefix . 'terms',
			'tt'       => $prefix . 'term_taxonomy',
			'tr'       => $prefix . 'term_relationships',
		);
		list( $page, $per_page ) = self::paging( $params );
		$out                     = array(
			'success'  => true,
			'count'    => 0,
			'total'    => 0,
			'page'     => $page,
			'per_page' => $per_page,
			'data'     => array(),
		);

		// 1. Locations, by name then term_id (only `location_id`, when it is a positive integer).
		$where = '';
		$loc   = self::positive( isset( $params['location_id'] ) ? $params['location_id'] : null );
		if ( null !== $loc ) {
			$where = ' AND t.term_id = ' . (int) $loc;
		}
		$locations = $this->rows(
			"SELECT t.term_id, t.slug, t.name FROM `{$t['terms']}` t JOIN `{$t['tt']}` tt ON tt.term_id = t.term_id
			WHERE tt.taxonomy = '" . self::LOCATION_TAXONOMY . "'{$where} ORDER BY t.name, t.term_id"
		);
		$m = count( $locations );
		if ( 0 === $m ) {
			return $out;
		}

		// 2. Published products in ID order with their row units: 1, or a variable product's variations.
		$units = $this->rows(
			"SELECT p.ID, IF(vt.object_id IS NULL, 1, COALESCE(vc.n, 0)) AS k, IF(vt.object_id IS NULL, 0, 1) AS variable
			FROM `{$t['posts']}` p
			LEFT JOIN (SELECT DISTINCT tr.object_id FROM `{$t['tr']}` tr
				JOIN `{$t['tt']}` tt ON tt.term_taxonomy_id = tr.term_taxonomy_id AND tt.taxonomy = 'product_type'
				JOIN `{$t['terms']}` te ON te.term_id = tt.term_id AND te.slug = 'variable') vt ON vt.object_id = p.ID
			LEFT JOIN (SELECT post_parent, COUNT(*) AS n FROM `{$t['posts']}`
				WHERE post_type = 'product_variation' AND post_status IN ('publish','private') GROUP BY post_parent) vc ON vc.post_parent = p.ID
			WHERE p.post_type = 'product' AND p.post_status = 'publish' ORDER BY p.ID"
		);
		$total = 0;
		foreach ( $units as $u ) {
			$total += (int) $u['k'] * $m;
		}
		$out['total'] = $total;
		$start        = ( $page - 1 ) * $per_page;
		$end          = $start + $per_page; // Exclusive.
		if ( $start >= $total ) {
			return $out;
		}

		// The products this page touches, and where the page starts inside the first of them.
		$page_products = array();
		$offset_first  = 0;
		$pos           = 0;
		foreach ( $units as $u ) {
			$rows = (int) $u['k'] * $m;
			if ( $rows > 0 && $pos + $rows > $start && $pos < $end ) {
				if ( ! $page_products ) {
					$offset_first = $start - $pos;
				}
				$page_products[] = $u;
			}
			$pos += $rows;
			if ( $pos >= $end ) {
				break;
			}
		}

		// 3. The variations of the page's variable products.
		$variable_ids = array();
		foreach ( $page_products as $u ) {
			if ( (int) $u['variable'] ) {
				$variable_ids[] = (int) $u['ID'];
			}
		}
		$variations = array(); // parent => list of ids.
		if ( $variable_ids ) {
			foreach ( $this->rows(
				"SELECT ID, post_parent FROM `{$t['posts']}` WHERE post_type = 'product_variation' AND post_status IN ('publish','private')
				AND post_parent IN (" . self::ints( $variable_ids ) . ') ORDER BY post_parent, menu_order, ID'
			) as $r ) {
				$variations[ (int) $r['post_parent'] ][] = (int) $r['ID'];
			}
		}
		$post_ids = array();
		foreach ( $page_products as $u ) {
			if ( (int) $u['variable'] ) {
				foreach ( isset( $variations[ (int) $u['ID'] ] ) ? $variations[ (int) $u['ID'] ] : array() as $v ) {
					$post_ids[] = $v;
				}
			} else {
				$post_ids[] = (int) $u['ID'];
			}
		}
		if ( ! $post_ids ) {
			return $out;
		}

		// 4. Names and SKUs of the page's rows' posts.
		$posts = array();
		foreach ( $this->rows( "SELECT ID, post_title FROM `{$t['posts']}` WHERE ID IN (" . self::ints( $post_ids ) . ')' ) as $r ) {
			$posts[ (int) $r['ID'] ] = array(
				'name' => (string) $r['post_title'],
				'sku'  => '',
			);
		}

		// 5. Their meta: SKU and the five location keys of each location (first row of a key, by meta_id).
		$keys = array( '_sku' );
		foreach ( $locations as $l ) {
			foreach ( array( 'stock', 'regular_price', 'sale_price', 'backorders', 'disabled' ) as $k ) {
				$keys[] = '_location_' . $k . '_' . (int) $l['term_id'];
			}
		}
		$meta = array();
		foreach ( array_chunk( $keys, 5000 ) as $key_chunk ) {
			$key_sql = implode( ',', array_map( array( $this, 'q' ), $key_chunk ) );
			foreach ( $this->rows(
				"SELECT post_id, meta_key, meta_value FROM `{$t['postmeta']}` WHERE post_id IN (" . self::ints( $post_ids ) . ") AND meta_key IN ({$key_sql}) ORDER BY meta_id"
			) as $r ) {
				$pid = (int) $r['post_id'];
				if ( ! isset( $meta[ $pid ][ $r['meta_key'] ] ) ) {
					$meta[ $pid ][ $r['meta_key'] ] = (string) $r['meta_value'];
				}
			}
		}

		// Assemble the page's rows in order: product, location, variation.
		$rows = array();
		$skip = $offset_first;
		foreach ( $page_products as $u ) {
			$pid     = (int) $u['ID'];
			$members = (int) $u['variable'] ? ( isset( $variations[ $pid ] ) ? $variations[ $pid ] : array() ) : array( $pid );
			foreach ( $locations as $l ) {
				$lid = (int) $l['term_id'];
				foreach ( $members as $id ) {
					if ( $skip > 0 ) {
						--$skip;
						continue;
					}
					if ( count( $rows ) >= $per_page ) {
						break 3;
					}
					$g      = static function ( $key ) use ( $meta, $id ) {
						return isset( $meta[ $id ][ $key ] ) ? $meta[ $id ][ $key ] : '';
					};
					$rows[] = array(
						'product_id'    => $id,
						'sku'           => $g( '_sku' ),
						'product_name'  => isset( $posts[ $id ] ) ? $posts[ $id ]['name'] : '',
						'location_id'   => $lid,
						'location_slug' => (string) $l['slug'],
						'location_name' => (string) $l['name'],
						'stock'         => $g( '_location_stock_' . $lid ),
						'regular_price' => $g( '_location_regular_price_' . $lid ),
						'sale_price'    => $g( '_location_sale_price_' . $lid ),
						'backorders'    => $g( '_location_backorders_' . $lid ),
						'disabled'      => 'yes' === $g( '_location_disabled_' . $lid ),
					);
				}
			}
		}
		$out['data']  = $rows;
		$out['count'] = count( $rows );
		return $out;
	}

	/**
	 * A row as CSV cells (the old export's: disabled as yes/no).
	 *
	 * @param array $row Row.
	 * @return array
	 */
	public static function csv_cells( array $row ) {
		$cells = array();
		foreach ( self::COLUMNS as $c ) {
			$v = isset( $row[ $c ] ) ? $row[ $c ] : '';
			if ( 'disabled' === $c ) {
				$v = $v ? 'yes' : 'no';
			}
			$cells[] = (string) $v;
		}
		return $cells;
	}

	/**
	 * Rows as CSV text (RFC 4180 quoting, "\n" line ends).
	 *
	 * @param array $rows       Rows.
	 * @param bool  $header     Whether to start with the UTF-8 BOM and the header row.
	 * @return string
	 */
	public static function to_csv( array $rows, $header = true ) {
		$h = fopen( 'php://temp', 'r+' ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fopen
		if ( $header ) {
			fwrite( $h, "\xEF\xBB\xBF" ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fwrite
			fputcsv( $h, self::COLUMNS, ',', '"', '' );
		}
		foreach ( $rows as $row ) {
			fputcsv( $h, self::csv_cells( $row ), ',', '"', '' );
		}
		rewind( $h );
		$csv = (string) stream_get_contents( $h );
		fclose( $h ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fclose
		return $csv;
	}

	/**
	 * Run a SELECT.
	 *
	 * @param string $sql SQL.
	 * @return array Rows (assoc arrays).
	 * @throws RuntimeException On a database error.
	 */
	private function rows( $sql ) {
		++$this->query_count;
		$suppress = $this->wpdb->suppress_errors( true );
		$rows     = $this->wpdb->get_results( $sql, ARRAY_A ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		$this->wpdb->suppress_errors( $suppress );
		if ( '' !== (string) $this->wpdb->last_error || ! is_array( $rows ) ) {
			throw new RuntimeException( 'export query failed' );
		}
		return $rows;
	}

	/**
	 * Quote a string for SQL.
	 *
	 * @param string $s String.
	 * @return string
	 */
	private function q( $s ) {
		return "'" . $this->wpdb->_real_escape( (string) $s ) . "'";
	}

	/**
	 * Comma list of integers.
	 *
	 * @param array $ids Ids.
	 * @return string
	 */
	private static function ints( array $ids ) {
		return implode( ',', array_map( 'intval', $ids ) );
	}
}
