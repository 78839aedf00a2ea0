<?php
/**
 * Seeds a benchmark store into an existing WordPress database: simple products, variable products with
 * variations, locations, location meta for about half of the (product, location) pairs, and the options the
 * engines read.
 *
 *   php bench/lib/seed.php --socket S --db NAME [--prefix wp_] [--simple 20000] [--variable 2000]
 *       [--variations 5] [--locations 8] [--api-key KEY] [--templates TEMPLATES.json] --out STATE.json
 *
 * With --templates (a WooCommerce store: the JSON line of bench/lib/seed-templates.php, which made a simple
 * product in stock, one out of stock and a variable product with one variation per size through WooCommerce's
 * API), every product is a clone of a template's rows: the post, every meta row as WooCommerce wrote it
 * (`_stock` as `5.000000`, `_price`, `_product_version`, ...; only the SKU, stock, prices and titles differ), the
 * product meta lookup row, the term relationships (product_type, product_visibility `outofstock`, product_cat,
 * the size terms) and the attributes lookup rows; 5% of the simple products are clones of the out-of-stock
 * template. --variations is then the template's variation count. The templates themselves are removed.
 * Without --templates (no WooCommerce: stack nowc), the rows are written by hand as WooCommerce would, and
 * the lookup table comes from the tests' schema.sql (--schema).
 *
 * Idempotent: removes what an earlier seed created (posts of type product/product_variation, their meta,
 * lookup rows and relationships) first. Everything goes in as multi-row INSERTs (seconds).
 * Writes STATE.json: ids, slugs, the primary location, and `seed_max_meta_id` (rows above it were inserted
 * by a benchmark run; bench/lib/driver.php deletes them to reset the store between runs).
 */

$o = getopt( '', array( 'socket:', 'db:', 'prefix:', 'simple:', 'variable:', 'variations:', 'locations:', 'api-key:', 'out:', 'schema:', 'templates:' ) );
foreach ( array( 'socket', 'db', 'out' ) as $k ) {
	if ( empty( $o[ $k ] ) ) {
		fwrite( STDERR, "seed.php: --$k is required\n" );
		exit( 2 );
	}
}
$prefix     = $o['prefix'] ?? 'wp_';
$n_simple   = (int) ( $o['simple'] ?? 20000 );
$n_variable = (int) ( $o['variable'] ?? 2000 );
$n_var_each = (int) ( $o['variations'] ?? 5 );
$n_loc      = (int) ( $o['locations'] ?? 8 );
$api_key    = $o['api-key'] ?? 'bench-api-key-0123456789abcdef';

mysqli_report( MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT );
$db = new mysqli( 'localhost', 'root', '', $o['db'], 0, $o['socket'] );
$db->set_charset( 'utf8mb4' );
$t0 = microtime( true );

$T = array(
	'posts'    => "`{$prefix}posts`",
	'pm'       => "`{$prefix}postmeta`",
	'terms'    => "`{$prefix}terms`",
	'tt'       => "`{$prefix}term_taxonomy`",
	'tr'       => "`{$prefix}term_relationships`",
	'options'  => "`{$prefix}options`",
	'lookup'   => "`{$prefix}wc_product_meta_lookup`",
	'attrs'    => "`{$prefix}wc_product_attributes_lookup`",
);
$tpl = null;
if ( ! empty( $o['templates'] ) ) {
	$tpl = json_decode( (string) file_get_contents( $o['templates'] ), true );
	if ( ! is_array( $tpl ) || empty( $tpl['simple'] ) || empty( $tpl['variable'] ) || empty( $tpl['variations'] ) ) {
		fwrite( STDERR, "seed.php: --templates {$o['templates']} is not the JSON line of seed-templates.php\n" );
		exit( 2 );
	}
	$n_var_each = count( $tpl['variations'] );
}

// WooCommerce's lookup table (a WordPress install from wp_install() has no WooCommerce tables).
if ( ! empty( $o['schema'] ) ) {
	$sql = str_replace( '{prefix}', $prefix, file_get_contents( $o['schema'] ) );
	if ( preg_match( '/CREATE TABLE IF NOT EXISTS `' . preg_quote( $prefix, '/' ) . 'wc_product_meta_lookup`.*?;\s*$/ms', $sql, $m ) ) {
		$db->query( $m[0] );
	}
}

function q( $db, $s ) {
	return "'" . $db->real_escape_string( (string) $s ) . "'";
}

/** Multi-row INSERT in chunks of about 1 MB. */
function insert_rows( $db, $head, array $rows, $tail = '' ) {
	$batch = array();
	$bytes = 0;
	foreach ( $rows as $r ) {
		$batch[] = $r;
		$bytes  += strlen( $r ) + 1;
		if ( $bytes > 1000000 ) {
			$db->query( $head . implode( ',', $batch ) . $tail );
			$batch = array();
			$bytes = 0;
		}
	}
	if ( $batch ) {
		$db->query( $head . implode( ',', $batch ) . $tail );
	}
}

/** Streams rows into multi-row INSERTs of about 1 MB. */
class Bench_Inserter {
	private $db;
	private $head;
	private $tail;
	private $rows  = array();
	private $bytes = 0;
	public $count  = 0;
	public function __construct( $db, $head, $tail = '' ) {
		$this->db   = $db;
		$this->head = $head;
		$this->tail = $tail;
	}
	public function add( $row ) {
		$this->rows[] = $row;
		$this->bytes += strlen( $row ) + 1;
		++$this->count;
		if ( $this->bytes > 1000000 ) {
			$this->flush();
		}
	}
	public function flush() {
		if ( $this->rows ) {
			$this->db->query( $this->head . implode( ',', $this->rows ) . $this->tail );
		}
		$this->rows  = array();
		$this->bytes = 0;
	}
}

/** SQL literal of a value (NULL stays NULL). */
function lit( $db, $v ) {
	return null === $v ? 'NULL' : "'" . $db->real_escape_string( (string) $v ) . "'";
}

// 0. With templates: read every row WooCommerce wrote for them (they are deleted with the earlier seed below).
$template_rows = array();
if ( $tpl ) {
	$tpl_ids = array_merge( array( (int) $tpl['simple'], (int) $tpl['simple_out'], (int) $tpl['variable'] ), array_map( 'intval', array_values( $tpl['variations'] ) ) );
	foreach ( $tpl_ids as $tid ) {
		$post = $db->query( "SELECT * FROM {$T['posts']} WHERE ID = $tid" )->fetch_assoc();
		if ( ! $post ) {
			fwrite( STDERR, "seed.php: template post $tid not found\n" );
			exit( 1 );
		}
		$template_rows[ $tid ] = array(
			'post'   => $post,
			'meta'   => $db->query( "SELECT meta_key, meta_value FROM {$T['pm']} WHERE post_id = $tid ORDER BY meta_id" )->fetch_all( MYSQLI_ASSOC ),
			'lookup' => $db->query( "SELECT * FROM {$T['lookup']} WHERE product_id = $tid" )->fetch_assoc(),
			'tr'     => $db->query( "SELECT term_taxonomy_id, term_order FROM {$T['tr']} WHERE object_id = $tid" )->fetch_all( MYSQLI_ASSOC ),
			'attrs'  => $db->query( "SELECT * FROM {$T['attrs']} WHERE product_id = $tid" )->fetch_all( MYSQLI_ASSOC ),
		);
		if ( ! $template_rows[ $tid ]['lookup'] ) {
			fwrite( STDERR, "seed.php: WooCommerce wrote no lookup row for template $tid\n" );
			exit( 1 );
		}
	}
}

// 1. Remove an earlier seed.
$db->query( "DELETE pm FROM {$T['pm']} pm JOIN {$T['posts']} p ON p.ID = pm.post_id WHERE p.post_type IN ('product','product_variation')" );
$db->query( "DELETE tr FROM {$T['tr']} tr JOIN {$T['posts']} p ON p.ID = tr.object_id WHERE p.post_type IN ('product','product_variation')" );
$db->query( "DELETE FROM {$T['lookup']}" );
if ( $tpl ) {
	$db->query( "DELETE FROM {$T['attrs']}" );
	// WooCommerce's transients of the templates (children, prices)
	$db->query( "DELETE FROM {$T['options']} WHERE option_name LIKE '\\_transient\\_%wc\\_product\\_children\\_%' OR option_name LIKE '\\_transient\\_%wc\\_var\\_prices\\_%'" );
}
$db->query( "DELETE FROM {$T['posts']} WHERE post_type IN ('product','product_variation')" );

// 2. Terms: locations, product_type, product_visibility.
function ensure_term( $db, $T, $name, $slug, $taxonomy ) {
	$r = $db->query( "SELECT t.term_id, tt.term_taxonomy_id FROM {$T['terms']} t JOIN {$T['tt']} tt ON tt.term_id = t.term_id WHERE tt.taxonomy = " . q( $db, $taxonomy ) . ' AND t.slug = ' . q( $db, $slug ) )->fetch_assoc();
	if ( $r ) {
		return array( (int) $r['term_id'], (int) $r['term_taxonomy_id'] );
	}
	$db->query( "INSERT INTO {$T['terms']} (name, slug, term_group) VALUES (" . q( $db, $name ) . ',' . q( $db, $slug ) . ',0)' );
	$term_id = $db->insert_id;
	$db->query( "INSERT INTO {$T['tt']} (term_id, taxonomy, description, parent, count) VALUES ($term_id," . q( $db, $taxonomy ) . ",'',0,0)" );
	return array( $term_id, $db->insert_id );
}
$loc_names = array( 'Main Store', 'Warehouse North', 'Warehouse South', 'Outlet East', 'Outlet West', 'Pop-up City', 'Depot One', 'Depot Two', 'Kiosk Airport', 'Kiosk Station', 'Online Hub', 'Returns Center' );
$locations = array();
for ( $l = 0; $l < $n_loc; $l++ ) {
	$name = $loc_names[ $l ] ?? ( 'Location ' . ( $l + 1 ) );
	$slug = strtolower( preg_replace( '/[^A-Za-z0-9]+/', '-', $name ) );
	list( $term_id ) = ensure_term( $db, $T, $name, $slug, 'mulopimfwc_store_location' );
	$locations[]     = array( 'term_id' => $term_id, 'slug' => $slug );
}
$tt = array();
foreach ( array( 'simple', 'variable', 'variation' ) as $s ) {
	$tt[ 'type_' . $s ] = ensure_term( $db, $T, $s, $s, 'product_type' )[1];
}
foreach ( array( 'outofstock', 'exclude-from-catalog', 'exclude-from-search', 'featured' ) as $s ) {
	$tt[ 'vis_' . $s ] = ensure_term( $db, $T, $s, $s, 'product_visibility' )[1];
}

// 3. Products.
$purchasable = array(); // [id, sku]
$outofstock  = 0;
$max_id      = (int) $db->query( "SELECT COALESCE(MAX(ID),0) FROM {$T['posts']}" )->fetch_row()[0];
$base        = $max_id + 1000;
if ( $tpl ) {
	// Clones of WooCommerce's rows for the templates; only ids, titles, SKUs, stock and prices differ.
	$post_cols = array_keys( $template_rows[ (int) $tpl['simple'] ]['post'] );
	$lk_cols   = array_keys( $template_rows[ (int) $tpl['simple'] ]['lookup'] );
	$ins_posts = new Bench_Inserter( $db, "INSERT INTO {$T['posts']} (`" . implode( '`,`', $post_cols ) . '`) VALUES ' );
	$ins_meta  = new Bench_Inserter( $db, "INSERT INTO {$T['pm']} (post_id, meta_key, meta_value) VALUES " );
	$ins_lk    = new Bench_Inserter( $db, "INSERT INTO {$T['lookup']} (`" . implode( '`,`', $lk_cols ) . '`) VALUES ' );
	$ins_tr    = new Bench_Inserter( $db, "INSERT IGNORE INTO {$T['tr']} (object_id, term_taxonomy_id, term_order) VALUES " );
	$ins_attr  = null;
	$tpl_tts   = array();
	$clone     = static function ( $tid, $id, $parent, $title, $name, $sku, $stock, $price ) use ( $db, $template_rows, $ins_posts, $ins_meta, $ins_lk, $ins_tr, &$ins_attr, &$tpl_tts, $T, $base ) {
		$t    = $template_rows[ $tid ];
		$post = $t['post'];
		$old  = (int) $post['ID'];
		$post['guid']        = str_replace( array( "p=$old", $post['post_name'] ), array( "p=$id", $name ), (string) $post['guid'] );
		$post['ID']          = $id;
		$post['post_title']  = $title;
		$post['post_name']   = $name;
		$post['post_parent'] = $parent;
		$ins_posts->add( '(' . implode( ',', array_map( static fn ( $v ) => lit( $db, $v ), $post ) ) . ')' );
		foreach ( $t['meta'] as $m ) {
			$v = $m['meta_value'];
			switch ( $m['meta_key'] ) {
				case '_sku':
					$v = $sku;
					break;
				case '_stock':
					// as WooCommerce formats it: '5.000000' after a stock update (sprintf %f), NULL where unmanaged
					if ( null !== $v && null !== $stock ) {
						$v = preg_match( '/^-?\d+\.\d{6}$/', (string) $v ) ? sprintf( '%f', $stock ) : (string) $stock;
					}
					break;
				case '_price':
				case '_regular_price':
					$v = $price;
					break;
			}
			$ins_meta->add( '(' . $id . ',' . lit( $db, $m['meta_key'] ) . ',' . lit( $db, $v ) . ')' );
		}
		$lk                = $t['lookup'];
		$lk['product_id']  = $id;
		$lk['sku']         = $sku;
		$lk['min_price']   = $price;
		$lk['max_price']   = $price;
		if ( null !== $lk['stock_quantity'] && null !== $stock ) {
			$lk['stock_quantity'] = $stock;
		}
		$ins_lk->add( '(' . implode( ',', array_map( static fn ( $v ) => lit( $db, $v ), $lk ) ) . ')' );
		foreach ( $t['tr'] as $r ) {
			$ins_tr->add( "($id,{$r['term_taxonomy_id']},{$r['term_order']})" );
			$tpl_tts[ (int) $r['term_taxonomy_id'] ] = true;
		}
		foreach ( $t['attrs'] as $a ) {
			if ( ! $ins_attr ) {
				$ins_attr = new Bench_Inserter( $db, "INSERT INTO {$T['attrs']} (`" . implode( '`,`', array_keys( $a ) ) . '`) VALUES ' );
			}
			$a['product_id'] = $id;
			if ( (int) $a['product_or_parent_id'] !== $old ) {
				$a['product_or_parent_id'] = $parent;
			} else {
				$a['product_or_parent_id'] = $id;
			}
			$ins_attr->add( '(' . implode( ',', array_map( static fn ( $v ) => lit( $db, $v ), $a ) ) . ')' );
		}
	};
	$id = $base;
	for ( $i = 1; $i <= $n_simple; $i++, $id++ ) {
		$sku   = sprintf( 'BS-%06d', $i );
		$price = sprintf( '%d.%02d', 10 + $i % 90, ( $i * 7 ) % 100 );
		$out   = 0 === $i % 20; // 5% out of stock
		$stock = $out ? 0 : 5 + $i % 200;
		$clone( $out ? (int) $tpl['simple_out'] : (int) $tpl['simple'], $id, 0, "Bench simple $i", "bench-simple-$i", $sku, $stock, $price );
		$outofstock   += $out ? 1 : 0;
		$purchasable[] = array( $id, $sku );
	}
	for ( $v = 1; $v <= $n_variable; $v++ ) {
		$parent = $id++;
		$psku   = sprintf( 'BV-%05d', $v );
		$price  = sprintf( '%d.%02d', 20 + $v % 80, ( $v * 3 ) % 100 );
		$clone( (int) $tpl['variable'], $parent, 0, "Bench variable $v", "bench-variable-$v", $psku, null, $price );
		$c = 0;
		foreach ( $tpl['variations'] as $size => $vid ) {
			++$c;
			$sku = "$psku-$c";
			$clone( (int) $vid, $id, $parent, "Bench variable $v - " . strtoupper( $size ), "bench-variable-$v-$size", $sku, 3 + ( $v * $c ) % 50, $price );
			$purchasable[] = array( $id, $sku );
			++$id;
		}
	}
	foreach ( array( $ins_posts, $ins_meta, $ins_lk, $ins_tr, $ins_attr ) as $ins ) {
		if ( $ins ) {
			$ins->flush();
		}
	}
	$n_posts = $ins_posts->count;
	foreach ( array_keys( $tpl_tts ) as $tt_id ) {
		$tt[ 'tpl_' . $tt_id ] = $tt_id;
	}
	$meta_row = function ( $id, $k, $v ) use ( $db ) {
		return '(' . $id . ",'" . $k . "','" . $db->real_escape_string( (string) $v ) . "')";
	};
} else {
$now    = gmdate( 'Y-m-d H:i:s', time() - 86400 );
$posts  = array();
$meta   = array();
$lookup = array();
$tr     = array();

$post_row = function ( $id, $type, $title, $name, $parent ) use ( $db, $now ) {
	return '(' . $id . ",1,'$now','$now','','" . $db->real_escape_string( $title ) . "','','publish','open','closed','','" . $name . "','','','$now','$now',''," . $parent . ",'',0,'" . $type . "','',0)";
};
$meta_row = function ( $id, $k, $v ) use ( $db ) {
	return '(' . $id . ",'" . $k . "','" . $db->real_escape_string( (string) $v ) . "')";
};

$id         = $base;
for ( $i = 1; $i <= $n_simple; $i++, $id++ ) {
	$sku   = sprintf( 'BS-%06d', $i );
	$price = sprintf( '%d.%02d', 10 + $i % 90, ( $i * 7 ) % 100 );
	$stock = ( 0 === $i % 20 ) ? 0 : 5 + $i % 200; // 5% out of stock
	$status = $stock > 0 ? 'instock' : 'outofstock';
	$posts[] = $post_row( $id, 'product', "Bench simple $i", "bench-simple-$i", 0 );
	foreach ( array( '_sku' => $sku, '_regular_price' => $price, '_price' => $price, '_manage_stock' => 'yes', '_stock' => $stock, '_stock_status' => $status, '_backorders' => 'no', '_product_version' => '8.9.0', '_tax_status' => 'taxable' ) as $k => $v ) {
		$meta[] = $meta_row( $id, $k, $v );
	}
	$lookup[] = "($id,'$sku',$price,$price,$stock,'$status')";
	$tr[]     = "($id,{$tt['type_simple']},0)";
	if ( 'outofstock' === $status ) {
		$tr[] = "($id,{$tt['vis_outofstock']},0)";
		++$outofstock;
	}
	$purchasable[] = array( $id, $sku );
}
for ( $v = 1; $v <= $n_variable; $v++ ) {
	$parent = $id++;
	$psku   = sprintf( 'BV-%05d', $v );
	$price  = sprintf( '%d.%02d', 20 + $v % 80, ( $v * 3 ) % 100 );
	$posts[] = $post_row( $parent, 'product', "Bench variable $v", "bench-variable-$v", 0 );
	foreach ( array( '_sku' => $psku, '_price' => $price, '_manage_stock' => 'no', '_stock_status' => 'instock', '_backorders' => 'no', '_product_version' => '8.9.0' ) as $k => $val ) {
		$meta[] = $meta_row( $parent, $k, $val );
	}
	$lookup[] = "($parent,'$psku',$price,$price,NULL,'instock')";
	$tr[]     = "($parent,{$tt['type_variable']},0)";
	for ( $c = 1; $c <= $n_var_each; $c++, $id++ ) {
		$sku   = "$psku-$c";
		$stock = 3 + ( $v * $c ) % 50;
		$posts[] = $post_row( $id, 'product_variation', "Bench variable $v - $c", "bench-variable-$v-$c", $parent );
		foreach ( array( '_sku' => $sku, '_regular_price' => $price, '_price' => $price, '_manage_stock' => 'yes', '_stock' => $stock, '_stock_status' => 'instock', '_backorders' => 'no', '_product_version' => '8.9.0' ) as $k => $val ) {
			$meta[] = $meta_row( $id, $k, $val );
		}
		$lookup[]      = "($id,'$sku',$price,$price,$stock,'instock')";
		$purchasable[] = array( $id, $sku );
	}
}
insert_rows( $db, "INSERT INTO {$T['posts']} (ID,post_author,post_date,post_date_gmt,post_content,post_title,post_excerpt,post_status,comment_status,ping_status,post_password,post_name,to_ping,pinged,post_modified,post_modified_gmt,post_content_filtered,post_parent,guid,menu_order,post_type,post_mime_type,comment_count) VALUES ", $posts );
insert_rows( $db, "INSERT INTO {$T['pm']} (post_id, meta_key, meta_value) VALUES ", $meta );
insert_rows( $db, "INSERT INTO {$T['lookup']} (product_id, sku, min_price, max_price, stock_quantity, stock_status) VALUES ", $lookup );
insert_rows( $db, "INSERT IGNORE INTO {$T['tr']} (object_id, term_taxonomy_id, term_order) VALUES ", $tr );
$n_posts = count( $posts );
unset( $posts, $meta, $lookup, $tr );
}

// 4. Location meta for about half of the (purchasable, location) pairs (a fixed hash decides).
$loc_meta = array();
$pairs    = 0;
foreach ( $purchasable as $pi => $p ) {
	foreach ( $locations as $li => $loc ) {
		if ( ( ( $pi * 2654435761 + $li * 40503 ) >> 7 ) % 2 ) {
			continue;
		}
		++$pairs;
		$tid   = $loc['term_id'];
		$reg   = sprintf( '%d.%02d', 12 + ( $pi + $li ) % 80, 49 );
		$loc_meta[] = $meta_row( $p[0], "_location_stock_$tid", ( $pi + $li ) % 100 );
		$loc_meta[] = $meta_row( $p[0], "_location_regular_price_$tid", $reg );
		$loc_meta[] = $meta_row( $p[0], "_location_sale_price_$tid", '' );
	}
}
insert_rows( $db, "INSERT INTO {$T['pm']} (post_id, meta_key, meta_value) VALUES ", $loc_meta );
unset( $loc_meta );

// 5. Term counts as WordPress counts them.
foreach ( $tt as $tt_id ) {
	$db->query( "UPDATE {$T['tt']} SET count = (SELECT COUNT(*) FROM {$T['tr']} tr JOIN {$T['posts']} p ON p.ID = tr.object_id WHERE tr.term_taxonomy_id = $tt_id AND p.post_status = 'publish' AND p.post_type IN ('product','product_variation')) WHERE term_taxonomy_id = $tt_id" );
}

// 6. Options.
$opts = array(
	'mulopimfwc_api_key'                  => $api_key,
	'mulopimfwc_primary_location'         => (string) $locations[0]['term_id'],
	'woocommerce_notify_no_stock_amount'  => '0',
	'woocommerce_price_decimal_sep'       => '.',
	'mulopimfwc_e2e_max_items'            => '100000', // the PHP engine's limit lifted (tests/e2e/lib/mulopimfwc-test-helpers.php)
);
foreach ( $opts as $k => $v ) {
	$db->query( "INSERT INTO {$T['options']} (option_name, option_value, autoload) VALUES (" . q( $db, $k ) . ',' . q( $db, $v ) . ",'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)" );
}
$db->query( "ANALYZE TABLE {$T['pm']}, {$T['posts']}, {$T['lookup']}, {$T['tr']}" . ( $tpl ? ", {$T['attrs']}" : '' ) )->fetch_all();

$seed_max_meta_id = (int) $db->query( "SELECT MAX(meta_id) FROM {$T['pm']}" )->fetch_row()[0];
$state            = array(
	'db'                => $o['db'],
	'prefix'            => $prefix,
	'api_key'           => $api_key,
	'locations'         => $locations,
	'primary_term_id'   => $locations[0]['term_id'],
	'simple'            => $n_simple,
	'variable'          => $n_variable,
	'variations_each'   => $n_var_each,
	'posts'             => $n_posts,
	'purchasable'       => count( $purchasable ),
	'pairs_with_meta'   => $pairs,
	'outofstock_seeded' => $outofstock,
	'postmeta_rows'     => (int) $db->query( "SELECT COUNT(*) FROM {$T['pm']}" )->fetch_row()[0],
	'seed_max_meta_id'  => $seed_max_meta_id,
	'seed_seconds'      => round( microtime( true ) - $t0, 2 ),
	'woocommerce'       => $tpl ? $tpl['woocommerce'] : null,
	'rows_from'         => $tpl ? 'clones of products made by WooCommerce ' . $tpl['woocommerce'] . "'s API (bench/lib/seed-templates.php)" : 'written by hand (WooCommerce not active)',
	'skus'              => array_map( function ( $p ) { return $p[1]; }, $purchasable ),
	'ids'               => array_map( function ( $p ) { return $p[0]; }, $purchasable ),
);
file_put_contents( $o['out'], json_encode( $state ) );
printf( "seeded %s (%s): %d posts (%d purchasable), %d locations, %d location pairs with meta, %d postmeta rows in %.1fs\n",
	$o['db'], $state['rows_from'], $n_posts, count( $purchasable ), $n_loc, $pairs, $state['postmeta_rows'], $state['seed_seconds'] );
