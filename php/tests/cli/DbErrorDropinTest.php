<?php
/**
 * The db-error.php drop-in's life cycle inside a real WordPress (an e2e site's): installed by the plugin's
 * activation, removed by its deactivation, refreshed after an update, a site's own db-error.php never touched,
 * and the admin notice that says so. (What the drop-in answers while the database is down is tested over HTTP by
 * tests/reliability, group dbfaults.)
 *
 * @package Mulopimfwc_Bulk_Sync
 */

declare(strict_types=1);

use PHPUnit\Framework\TestCase;

final class DbErrorDropinTest extends TestCase {

	private const PLUGIN = 'mulopimfwc-bulk-sync/mulopimfwc-bulk-sync.php';

	public static function setUpBeforeClass(): void {
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
	}

	private static function target(): string {
		return WP_CONTENT_DIR . '/db-error.php';
	}

	private static function shipped(): string {
		return (string) file_get_contents( dirname( __DIR__, 2 ) . '/db-error.php' );
	}

	protected function tearDown(): void {
		// Leave the site as activation leaves it: the plugin active, our drop-in in place.
		if ( file_exists( self::target() ) && ! Mulopimfwc_Bulk_Sync_Db_Error_Dropin::is_ours( self::target() ) ) {
			unlink( self::target() );
		}
		if ( ! is_plugin_active( self::PLUGIN ) ) {
			activate_plugin( self::PLUGIN );
		}
		Mulopimfwc_Bulk_Sync_Db_Error_Dropin::install();
		wp_set_current_user( 0 );
		$GLOBALS['current_screen'] = null;
	}

	public function test_activation_installed_the_shipped_drop_in(): void {
		$this->assertFileExists( self::target() );
		$this->assertSame( self::shipped(), file_get_contents( self::target() ) );
		$this->assertSame(
			array( 'state' => 'installed', 'version' => MULOPIMFWC_BULK_SYNC_VERSION ),
			get_option( Mulopimfwc_Bulk_Sync_Db_Error_Dropin::OPTION )
		);
	}

	public function test_deactivation_removes_it_and_activation_puts_it_back(): void {
		deactivate_plugins( self::PLUGIN );
		$this->assertFileDoesNotExist( self::target() );
		$this->assertFalse( get_option( Mulopimfwc_Bulk_Sync_Db_Error_Dropin::OPTION ) );
		$this->assertNull( activate_plugin( self::PLUGIN ) );
		$this->assertSame( self::shipped(), file_get_contents( self::target() ) );
		$this->assertSame( 'installed', get_option( Mulopimfwc_Bulk_Sync_Db_Error_Dropin::OPTION )['state'] );
		$this->assertSame( array(), glob( WP_CONTENT_DIR . '/db-error.php.*' ), 'no temporary file left' );
	}

	public function test_a_sites_own_db_error_page_is_never_replaced_or_removed(): void {
		unlink( self::target() );
		$own = "<?php\n// The shop's own maintenance page.\necho 'Back soon';\n";
		file_put_contents( self::target(), $own );
		$this->assertSame( 'foreign', Mulopimfwc_Bulk_Sync_Db_Error_Dropin::install() );
		$this->assertSame( $own, file_get_contents( self::target() ) );
		deactivate_plugins( self::PLUGIN );
		$this->assertSame( $own, file_get_contents( self::target() ), 'deactivation leaves it' );
		activate_plugin( self::PLUGIN );
		$this->assertSame( $own, file_get_contents( self::target() ), 'activation leaves it' );
		$this->assertSame( 'foreign', get_option( Mulopimfwc_Bulk_Sync_Db_Error_Dropin::OPTION )['state'] );
	}

	public function test_the_notice_tells_administrators_on_the_plugins_screen_only(): void {
		unlink( self::target() );
		file_put_contents( self::target(), "<?php\n// own\n" );
		Mulopimfwc_Bulk_Sync_Db_Error_Dropin::install();
		$admin = get_users( array( 'role' => 'administrator', 'number' => 1 ) );
		$this->assertNotEmpty( $admin );
		wp_set_current_user( $admin[0]->ID );
		require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
		require_once ABSPATH . 'wp-admin/includes/screen.php';

		$GLOBALS['current_screen'] = WP_Screen::get( 'plugins' );
		$out                       = $this->notice();
		$this->assertStringContainsString( '<div class="notice notice-warning"><p>', $out );
		$this->assertStringContainsString( 'its own wp-content/db-error.php', $out );
		$this->assertStringContainsString( 'mulopimfwc_db_error', $out );

		$GLOBALS['current_screen'] = WP_Screen::get( 'dashboard' );
		$this->assertSame( '', $this->notice(), 'not on other screens' );

		$GLOBALS['current_screen'] = WP_Screen::get( 'plugins' );
		wp_set_current_user( 0 );
		$this->assertSame( '', $this->notice(), 'not for users who cannot manage plugins' );

		// Ours in place: nothing to say.
		unlink( self::target() );
		Mulopimfwc_Bulk_Sync_Db_Error_Dropin::install();
		wp_set_current_user( $admin[0]->ID );
		$this->assertSame( '', $this->notice() );
	}

	public function test_an_unwritable_wp_content_is_reported(): void {
		unlink( self::target() );
		// Root writes anywhere, whatever the modes: an immutable directory is what refuses it.
		exec( 'chattr +i ' . escapeshellarg( WP_CONTENT_DIR ) . ' 2>&1', $out, $rc );
		if ( 0 !== $rc ) {
			$this->markTestSkipped( 'chattr +i is not available here: ' . implode( ' ', $out ) );
		}
		try {
			$this->assertSame( 'failed', Mulopimfwc_Bulk_Sync_Db_Error_Dropin::install() );
		} finally {
			exec( 'chattr -i ' . escapeshellarg( WP_CONTENT_DIR ) );
		}
		$this->assertFileDoesNotExist( self::target() );
		$this->assertSame( array(), glob( WP_CONTENT_DIR . '/db-error.php.*' ) );
		$admin = get_users( array( 'role' => 'administrator', 'number' => 1 ) );
		wp_set_current_user( $admin[0]->ID );
		require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
		require_once ABSPATH . 'wp-admin/includes/screen.php';
		$GLOBALS['current_screen'] = WP_Screen::get( 'plugins' );
		$this->assertStringContainsString( 'could not copy its db-error.php into wp-content', $this->notice() );
	}

	public function test_a_plugin_update_refreshes_an_older_copy(): void {
		file_put_contents( self::target(), "<?php\n// mulopimfwc-bulk-sync-db-error-dropin (an older version)\n" );
		update_option( Mulopimfwc_Bulk_Sync_Db_Error_Dropin::OPTION, array( 'state' => 'installed', 'version' => '0.0.1' ) );
		Mulopimfwc_Bulk_Sync_Db_Error_Dropin::maybe_update();
		$this->assertSame( self::shipped(), file_get_contents( self::target() ) );
		$this->assertSame( MULOPIMFWC_BULK_SYNC_VERSION, get_option( Mulopimfwc_Bulk_Sync_Db_Error_Dropin::OPTION )['version'] );
		// Same version: nothing is read or written again.
		file_put_contents( self::target(), "<?php\n// mulopimfwc-bulk-sync-db-error-dropin (edited by hand)\n" );
		Mulopimfwc_Bulk_Sync_Db_Error_Dropin::maybe_update();
		$this->assertStringContainsString( 'edited by hand', (string) file_get_contents( self::target() ) );
	}

	private function notice(): string {
		ob_start();
		Mulopimfwc_Bulk_Sync_Db_Error_Dropin::admin_notice();
		return (string) ob_get_clean();
	}
}
